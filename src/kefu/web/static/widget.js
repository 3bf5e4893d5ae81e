// kefu 在线客服 widget. Any page embeds it with one tag:
//   <script src="https://kefu.example.com/widget.js" data-queue="waimai_chat"></script>
// (optional: data-lang="en", data-name / data-phone to name a signed-in customer). It talks to kefu's
// /ws/chat/customer socket (docs/chat-protocol.md) from inside a shadow root, with its stylesheet from kefu and
// no inline script or style, so a host page with a CSP only needs kefu's origin in script-src, style-src and
// connect-src (ws/wss). The visitor token is kept in localStorage: a reload or a lost connection resumes the
// chat, messages are shown by their server seq (nothing twice) and a message not acknowledged yet is sent again
// with the same client id (the server stores it once).
// With data-bot="on" the customer first talks to the self-service bot (智能客服, /api/v1/kb/bot, which accepts
// calls from any origin: the host page's CSP needs kefu's origin in connect-src for http(s) too): it answers with
// the best help-center article, or offers the top three; 转人工 (the button or the typed word), or the bot's own
// decision (low confidence, a second unhelpful answer), hands over — the handover's chat id and visitor token are
// stored and the chat is resumed over the socket like after a reload, the bot conversation its first message.
(function () {
  "use strict";
  var tag = document.currentScript;
  if (!tag || window.kefuWidget) { return; }
  var base = new URL(tag.src, location.href);
  var queue = tag.dataset.queue || "";
  var botOn = tag.dataset.bot !== undefined && !/^(off|false|0|no)$/i.test(tag.dataset.bot);
  var KEY = "kefu-chat:" + base.host + ":" + queue;
  var STRINGS = {
    "zh-CN": {
      title: "在线客服", open: "在线客服", minimize: "收起", lang: "EN", name: "您的称呼(选填)",
      phone: "手机号(选填)", start: "开始咨询", connecting: "正在连接客服…", reconnecting: "连接中断,正在重新连接…",
      queue: "正在排队,您是第 {n} 位,请稍候", assigned: "客服代表{name}为您服务", typing: "客服正在输入…",
      placeholder: "请输入您的问题", send: "发送", end: "结束会话", leaveOpen: "我要留言",
      leaveText: "留言内容", leavePhone: "联系电话", leaveTime: "方便接听的时间(选填)", leaveSend: "提交留言",
      rate: "请您对本次服务做出评价", rated: "感谢您的评价!", ended: "本次会话已结束",
      abandoned: "会话已结束,期待再次为您服务", left: "留言已提交(工单号 #{id}),我们会尽快与您联系。",
      leftNoId: "留言已提交,我们会尽快与您联系。",
      again: "开始新的咨询", customer: "我", agent: "客服", system: "系统", sending: "发送中…",
      failed: "无法连接客服,请稍后再试", noQueue: "未配置客服队列(data-queue)",
      r5: "非常满意", r4: "满意", r3: "一般", r2: "不满意", r1: "非常不满意",
      bot: "智能客服", human: "转人工", helpful: "有用", unhelpful: "没用", read: "查看全文"
    },
    en: {
      title: "Customer service", open: "Chat with us", minimize: "Minimize", lang: "中文", name: "Your name (optional)",
      phone: "Mobile (optional)", start: "Start chat", connecting: "Connecting…", reconnecting: "Connection lost, reconnecting…",
      queue: "You are number {n} in the queue, please wait", assigned: "{name} is serving you",
      typing: "The agent is typing…", placeholder: "Type your question", send: "Send", end: "End chat",
      leaveOpen: "Leave a message", leaveText: "Your message", leavePhone: "Phone",
      leaveTime: "When to call you (optional)", leaveSend: "Send message", rate: "How was our service?",
      rated: "Thank you for your rating!", ended: "The chat has ended",
      abandoned: "The chat has ended; we hope to serve you again", left: "Message received (ticket #{id}); we will contact you soon.",
      leftNoId: "Message received; we will contact you soon.",
      again: "New chat", customer: "Me", agent: "Agent", system: "System", sending: "Sending…",
      failed: "Cannot reach customer service, please try again later", noQueue: "No chat queue configured (data-queue)",
      r5: "Very satisfied", r4: "Satisfied", r3: "Neutral", r2: "Dissatisfied", r1: "Very dissatisfied",
      bot: "Assistant", human: "Talk to a person", helpful: "Helpful", unhelpful: "Not helpful", read: "Read more",
      transferTo: "Transferring you to {team}, please wait.",
      offerMessage: "We are busy or outside service hours: you can leave a message with your contact details and " +
        "we will call you back soon."
    }
  };
  // What kefu's chat flow says by itself, shown in the widget's language: a line of one of these kinds is the
  // widget's own string, with the particulars the server sends beside the text (the frame's `args`: the agent's
  // name, the team's; docs/chat-protocol.md). A line stored before kefu sent them (no `args`) is shown as written.
  // The bot's own phrases come in the widget's language from the server (?lang=). Scripts (the idle prompt, the
  // closing: the center's own wording), agents' words and the articles' titles are shown as written.
  var NOTICES = {
    assigned: {key: "assigned", args: ["name"]},
    transfer: {key: "transferTo", args: ["team"]},
    offer_message: {key: "offerMessage", args: []},
    "bot-feedback": {texts: {"有用": "helpful", "没用": "unhelpful"}}
  };

  // -- stored state: {chat_id, token, outbox: [frames], rated, lang} -------------------------------------------
  function load() {
    try { return JSON.parse(window.localStorage.getItem(KEY)) || {}; } catch (e) { return {}; }
  }
  function save() {
    try { window.localStorage.setItem(KEY, JSON.stringify(saved)); } catch (e) { /* private mode: this page only */ }
  }
  var saved = load();
  saved.outbox = saved.outbox || [];
  var lang = saved.lang || (tag.dataset.lang === "en" ? "en" : "zh-CN");
  function say(f) {  // a line's text in the widget's language (NOTICES)
    var n = NOTICES[f.kind], text = f.text || "";
    if (!n || lang === "zh-CN") { return text; }
    if (n.texts) { return n.texts[text] ? t(n.texts[text]) : text; }
    if (!n.args) { return t(n.key); }
    var args = f.args || {};
    if (n.args.some(function (name) { return typeof args[name] !== "string"; })) { return text; }
    return t(n.key, args);
  }
  function t(key, args) {
    var text = (STRINGS[lang] || STRINGS["zh-CN"])[key] || key;
    Object.keys(args || {}).forEach(function (k) { text = text.replace("{" + k + "}", args[k]); });
    return text;
  }

  // -- the DOM, inside a shadow root ----------------------------------------------------------------------------
  function h(name, attrs, children) {
    var el = document.createElement(name);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") { el.textContent = attrs[k]; } else if (k === "hidden") { el.hidden = attrs[k]; }
      else { el.setAttribute(k, attrs[k]); }
    });
    (children || []).forEach(function (c) { el.appendChild(c); });
    return el;
  }
  var host = h("div", {id: "kefu-widget"});
  var shadow = host.attachShadow({mode: "open"});
  var ui = {};
  function build() {
    shadow.textContent = "";
    shadow.appendChild(h("link", {rel: "stylesheet", href: new URL("/widget.css", base).href}));
    ui.launcher = h("button", {type: "button", "class": "kw-launcher", text: t("open")});
    ui.agent = h("p", {"class": "kw-agent", hidden: true});
    ui.langButton = h("button", {type: "button", "class": "kw-lang", text: t("lang")});
    ui.minimize = h("button", {type: "button", "class": "kw-min", text: "—", title: t("minimize"), "aria-label": t("minimize")});
    ui.status = h("p", {"class": "kw-status", role: "status", "aria-live": "polite"});
    ui.error = h("p", {"class": "kw-error", role: "alert", hidden: true});
    ui.name = h("input", {"class": "kw-name", maxlength: "50", placeholder: t("name"), "aria-label": t("name")});
    ui.phone = h("input", {"class": "kw-phone", maxlength: "20", inputmode: "tel", placeholder: t("phone"), "aria-label": t("phone")});
    ui.startButton = h("button", {type: "button", "class": "kw-start-button", text: t("start")});
    ui.start = h("div", {"class": "kw-start"}, [ui.name, ui.phone, ui.startButton]);
    ui.log = h("ol", {"class": "kw-log", "aria-live": "polite"});
    ui.typing = h("p", {"class": "kw-typing", text: t("typing"), hidden: true});
    ui.leaveOpen = h("button", {type: "button", "class": "kw-leave-open secondary", text: t("leaveOpen"), hidden: true});
    ui.leaveText = h("textarea", {"class": "kw-leave-text", rows: "3", maxlength: "2000", placeholder: t("leaveText"), "aria-label": t("leaveText")});
    ui.leavePhone = h("input", {"class": "kw-leave-phone", maxlength: "20", inputmode: "tel", placeholder: t("leavePhone"), "aria-label": t("leavePhone")});
    ui.leaveTime = h("input", {"class": "kw-leave-time", maxlength: "50", placeholder: t("leaveTime"), "aria-label": t("leaveTime")});
    ui.leaveSend = h("button", {type: "button", "class": "kw-leave-send", text: t("leaveSend")});
    ui.leave = h("div", {"class": "kw-leave", hidden: true}, [ui.leaveText, ui.leavePhone, ui.leaveTime, ui.leaveSend]);
    ui.box = h("textarea", {"class": "kw-input", rows: "2", maxlength: "5000", placeholder: t("placeholder"), "aria-label": t("placeholder")});
    ui.sendButton = h("button", {type: "button", "class": "kw-send", text: t("send")});
    ui.endButton = h("button", {type: "button", "class": "kw-end secondary", text: t("end")});
    ui.human = h("button", {type: "button", "class": "kw-human secondary", text: t("human"), hidden: true});
    ui.compose = h("div", {"class": "kw-compose", hidden: true}, [ui.box, h("div", {"class": "kw-row"}, [ui.endButton, ui.human, ui.sendButton])]);
    ui.rateButtons = [5, 4, 3, 2, 1].map(function (n) {
      return h("button", {type: "button", "class": "kw-score secondary", "data-score": String(n), text: t("r" + n)});
    });
    ui.rate = h("div", {"class": "kw-rate", hidden: true}, [h("p", {text: t("rate")}), h("div", {"class": "kw-scores"}, ui.rateButtons)]);
    ui.doneText = h("p", {"class": "kw-done-text"});
    ui.again = h("button", {type: "button", "class": "kw-again", text: t("again")});
    ui.done = h("div", {"class": "kw-done", hidden: true}, [ui.doneText, ui.again]);
    ui.panel = h("section", {"class": "kw-panel", hidden: !saved.open, "aria-label": t("title"), lang: lang}, [
      h("header", {"class": "kw-head"}, [h("div", {}, [h("strong", {text: t("title")}), ui.agent]), ui.langButton, ui.minimize]),
      ui.status, ui.error, ui.start, ui.log, ui.typing, ui.leaveOpen, ui.leave, ui.compose, ui.rate, ui.done]);
    ui.launcher.hidden = !!saved.open;
    shadow.appendChild(ui.launcher);
    shadow.appendChild(ui.panel);
    wire();
  }

  // -- state ----------------------------------------------------------------------------------------------------
  var ws = null, greeted = false, retry = 0, lastSeq = 0, state = "start", agentName = null, position = null;
  var offered = false, counter = 0, lastTyping = 0, stopped = false, statusKey = null, leftTicket = null;
  var doneKey = null;  // what the closing line says, to say it again after a language switch
  var shown = [];  // every message frame rendered, to rebuild the log after a language switch
  var botShown = false;  // the conversation with the bot is on screen (its transcript need not be shown again)

  function show(next) {
    state = next;
    ui.start.hidden = state !== "start";
    ui.compose.hidden = state !== "waiting" && state !== "active" && state !== "bot";
    ui.human.hidden = state !== "bot";
    ui.leaveOpen.hidden = !(state === "waiting" && offered) || !ui.leave.hidden;
    if (state !== "waiting") { ui.leave.hidden = true; }
    ui.rate.hidden = state !== "ended" || !!saved.rated;
    ui.done.hidden = !(state === "closed" || (state === "ended" && saved.rated));
    ui.agent.hidden = !agentName || (state !== "active" && state !== "ended");
    if (agentName) { ui.agent.textContent = t("assigned", {name: agentName}); }
    if (state === "waiting" && position) { status("queue", {n: position}); }
    if (state === "active" || state === "start" || state === "bot") { status(null); }
  }

  function status(key, args) {
    statusKey = key ? [key, args] : null;
    ui.status.textContent = key ? t(key, args) : "";
    ui.status.hidden = !key;
  }

  function error(text) {
    ui.error.textContent = text || "";
    ui.error.hidden = !text;
  }

  // -- the socket -----------------------------------------------------------------------------------------------
  function connect(startFrame) {
    stopped = false;
    var scheme = base.protocol === "https:" ? "wss://" : "ws://";
    ws = new WebSocket(scheme + base.host + "/ws/chat/customer");
    greeted = false;
    ws.onopen = function () {
      if (startFrame) {
        ws.send(JSON.stringify({type: "hello", start: startFrame}));
      } else {
        ws.send(JSON.stringify({type: "hello", token: saved.token, resume: {chat_id: saved.chat_id, after_seq: lastSeq}}));
      }
    };
    ws.onmessage = function (e) {
      var frame;
      try { frame = JSON.parse(e.data); } catch (err) { return; }
      (handlers[frame.type] || function () {})(frame);
    };
    ws.onclose = function () {
      greeted = false;
      if (stopped || !saved.chat_id) {
        if (!saved.chat_id && state === "start") { error(t("failed")); ui.startButton.disabled = false; }
        return;
      }
      status("reconnecting");
      retry = Math.min(retry + 1, 8);
      window.setTimeout(function () { connect(null); }, 400 * retry);
    };
  }

  function send(frame) {
    if (ws && ws.readyState === WebSocket.OPEN && greeted) { ws.send(JSON.stringify(frame)); return true; }
    return false;
  }

  function stop() {
    stopped = true;
    if (ws) { ws.close(); }
  }

  var handlers = {
    welcome: function (f) {
      greeted = true;
      retry = 0;
      error(null);
      if (f.token) { saved.chat_id = f.chat_id; saved.token = f.token; saved.rated = false; save(); }
      if (statusKey && statusKey[0] === "reconnecting") { status(null); }
      if (state === "start") { show("waiting"); status("connecting"); }
      saved.outbox.forEach(function (frame) { ws.send(JSON.stringify(frame)); });
    },
    queue: function (f) {
      position = f.position;
      show("waiting");
    },
    assigned: function (f) {
      agentName = f.agent_name;
      show("active");
    },
    message: function (f) {
      if (f.seq <= lastSeq) { return; }
      lastSeq = f.seq;
      if (f.sender === "customer" && f.client_msg_id) {
        var pending = ui.log.querySelector('li[data-pending="' + f.client_msg_id.replace(/["\\]/g, "") + '"]');
        if (pending) { pending.remove(); }
      }
      if (f.kind === "offer_message") { offered = true; }
      if (f.kind === "bot_transcript" && botShown) { return; }  // the bot's lines are on screen already
      if (f.sender === "agent") { ui.typing.hidden = true; }
      shown.push(f);
      line(f);
      show(state);
    },
    ack: function (f) {
      saved.outbox = saved.outbox.filter(function (frame) { return frame.client_msg_id !== f.client_msg_id; });
      save();
    },
    typing: function () {
      ui.typing.hidden = false;
      window.clearTimeout(handlers.typingTimer);
      handlers.typingTimer = window.setTimeout(function () { ui.typing.hidden = true; }, 4000);
    },
    ended: function (f) {
      ui.typing.hidden = true;
      saved.outbox = [];
      save();
      if (f.status === "ended") {
        show("ended");
        status("ended");
        if (saved.rated) { finish("rated"); }
      } else if (f.status === "left_message") {  // the ticket number may still be on its way: wait for it
        finish(leftTicket ? "left" : "leftNoId", {id: leftTicket}, leftTicket ? 0 : 5000);
      } else {
        finish("abandoned");
      }
    },
    rated: function () {
      saved.rated = true;
      finish("rated");
    },
    left_message: function (f) {
      leftTicket = f.ticket_id;
      finish("left", {id: f.ticket_id});
    },
    error: function (f) {
      if (f.field === "token" || (f.code === "not_found" && state !== "start" && !greeted)) {
        forget();
        return;
      }
      if (f.code === "conflict" && f.field === "rating") { saved.rated = true; finish("rated"); return; }
      if (state === "start") { ui.startButton.disabled = false; stop(); }
      error(f.message);
    }
  };

  // the chat is over and there is nothing more to send: the visitor token is forgotten (the socket closes now,
  // or after ``linger`` ms when one more frame is expected)
  function finish(key, args, linger) {
    doneKey = [key, args];
    ui.doneText.textContent = t(key, args);
    status(null);
    if (state !== "ended" || saved.rated) {
      delete saved.bot;
      delete saved.chat_id;
      delete saved.token;
      saved.outbox = [];
      save();
      if (linger) { window.setTimeout(stop, linger); } else { stop(); }
    }
    show(state === "ended" ? "ended" : "closed");
  }

  function forget() {
    stop();
    delete saved.chat_id;
    delete saved.token;
    delete saved.bot;
    saved.outbox = [];
    saved.rated = false;
    save();
    reset();
  }

  function reset() {
    lastSeq = 0; agentName = null; position = null; offered = false; leftTicket = null; shown = []; doneKey = null;
    botShown = false;
    ui.log.textContent = "";
    error(null);
    ui.startButton.disabled = false;
    show("start");
  }

  function hhmm(iso) {
    var d = iso ? new Date(iso) : new Date();
    return ("0" + d.getHours()).slice(-2) + ":" + ("0" + d.getMinutes()).slice(-2);
  }

  function line(f, pendingId) {
    var li = h("li", {"class": "kw-line from-" + f.sender + (f.kind && f.kind !== "text" ? " kind-" + f.kind : "")}, [
      h("span", {"class": "kw-who", text: (pendingId ? t("sending") : t(f.sender) + " " + hhmm(f.at))}),
      h("span", {"class": "kw-text", text: say(f)})]);
    (f.articles || []).forEach(function (a) { li.appendChild(article(a, f)); });
    if (pendingId) { li.dataset.pending = pendingId; li.classList.add("pending"); }
    ui.log.appendChild(li);
    ui.log.scrollTop = ui.log.scrollHeight;
  }

  // -- what the customer does -----------------------------------------------------------------------------------
  function wire() {
    ui.launcher.addEventListener("click", function () { toggle(true); });
    ui.minimize.addEventListener("click", function () { toggle(false); });
    ui.langButton.addEventListener("click", function () {
      lang = lang === "en" ? "zh-CN" : "en";
      saved.lang = lang;
      save();
      var keepState = state, name = ui.name.value, phone = ui.phone.value, draft = ui.box.value;
      build();
      ui.name.value = name; ui.phone.value = phone; ui.box.value = draft;
      shown.forEach(function (f) { line(f); });
      saved.outbox.forEach(function (frame) { line({sender: "customer", text: frame.text}, frame.client_msg_id); });
      if (statusKey) { status(statusKey[0], statusKey[1]); }
      show(keepState);
      if (doneKey) { ui.doneText.textContent = t(doneKey[0], doneKey[1]); }
    });
    ui.startButton.addEventListener("click", function () {
      if (!queue) { error(t("noQueue")); return; }
      ui.startButton.disabled = true;
      error(null);
      if (botOn) { startBot(); return; }
      status("connecting");
      var start = {queue: queue};
      var name = ui.name.value.trim() || tag.dataset.name, phone = ui.phone.value.trim() || tag.dataset.phone;
      if (name) { start.name = name; }
      if (phone) { start.phone = phone; }
      connect(start);
    });
    ui.sendButton.addEventListener("click", sendMessage);
    ui.box.addEventListener("keydown", function (e) {
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); sendMessage(); }
    });
    ui.box.addEventListener("input", function () {
      var now = Date.now();
      if (now - lastTyping > 2500) { lastTyping = now; send({type: "typing"}); }
    });
    ui.endButton.addEventListener("click", function () {
      if (state === "bot") { botCall("/end", {}).then(function (r) { if (r) { finish("ended"); } }); return; }
      send({type: "end"});
    });
    ui.human.addEventListener("click", function () { botCall("/handoff", identity()).then(botReply); });
    ui.leaveOpen.addEventListener("click", function () {
      ui.leave.hidden = false;
      ui.leaveOpen.hidden = true;
      ui.leaveText.focus();
    });
    ui.leaveSend.addEventListener("click", function () {
      var text = ui.leaveText.value.trim();
      if (!text) { ui.leaveText.focus(); return; }
      var frame = {type: "leave_message", text: text};
      if (ui.leavePhone.value.trim()) { frame.phone = ui.leavePhone.value.trim(); }
      if (ui.leaveTime.value.trim()) { frame.preferred_time = ui.leaveTime.value.trim(); }
      send(frame);
    });
    ui.rateButtons.forEach(function (b) {
      b.addEventListener("click", function () { send({type: "rate", score: Number(b.dataset.score)}); });
    });
    ui.again.addEventListener("click", function () { forget(); });
  }

  function sendMessage() {
    var text = ui.box.value.trim();
    if (text && state === "bot") { askBot(text); return; }
    if (!text || (state !== "waiting" && state !== "active")) { return; }
    counter += 1;
    var frame = {type: "message", client_msg_id: "c" + Date.now().toString(36) + "-" + counter, text: text};
    saved.outbox.push(frame);
    save();
    line({sender: "customer", text: text}, frame.client_msg_id);
    ui.box.value = "";
    lastTyping = 0;  // a message ends the typing: the next keystroke is news again
    send(frame);
  }

  // -- the self-service bot (data-bot) --------------------------------------------------------------------------
  function botCall(path, body, method) {
    var url = new URL("/api/v1/kb/bot" + (saved.bot && path !== "" ? "/" + encodeURIComponent(saved.bot) : "") + path, base);
    url.searchParams.set("lang", lang);  // the bot's own phrases in the widget's language
    var init = {method: method || "POST", mode: "cors", credentials: "omit"};
    if (init.method === "POST") { init.headers = {"Content-Type": "application/json"}; init.body = JSON.stringify(body || {}); }
    return window.fetch(url.href, init).then(function (r) {
      return r.json().then(function (data) {
        if (!r.ok) {
          if (r.status === 404 || r.status === 409) { delete saved.bot; save(); }
          error(data.detail || t("failed"));
          return null;
        }
        return data;
      });
    }).catch(function () { error(t("failed")); return null; });
  }

  function identity() {
    var out = {}, name = ui.name.value.trim() || tag.dataset.name, phone = ui.phone.value.trim() || tag.dataset.phone;
    if (name) { out.name = name; }
    if (phone) { out.phone = phone; }
    saved.identity = out;
    return out;
  }

  function startBot() {
    var who = identity();
    delete saved.bot;
    botCall("", {queue: queue}).then(function (r) {
      ui.startButton.disabled = false;
      if (!r) { return; }
      saved.bot = r.token;
      saved.identity = who;
      save();
      show("bot");
      botReply(r);
    });
  }

  function botLine(f) {
    botShown = true;
    shown.push(f);
    line(f);
  }

  function askBot(text) {
    ui.box.value = "";
    botLine({sender: "customer", text: text});
    botCall("/messages", Object.assign({text: text}, saved.identity || {})).then(botReply);
  }

  function botReply(r) {
    if (!r) { return; }
    error(null);
    botLine({sender: "bot", kind: "bot-" + r.action, text: r.text, articles: r.articles,
             feedback: r.action === "answer"});
    if (r.action === "handoff" && r.chat_id && r.visitor_token) {
      delete saved.bot;
      saved.chat_id = r.chat_id;
      saved.token = r.visitor_token;
      saved.rated = false;
      saved.outbox = [];
      save();
      show("waiting");
      status("connecting");
      connect(null);
    } else if (r.action === "resolved") {
      delete saved.bot;
      save();
      finish("ended");
      ui.doneText.textContent = say({kind: "bot-resolved", text: r.text});
    }
  }

  function article(a, f) {
    var plain = (a.body || "").replace(/[#>*_`\[\]()-]+/g, " ").replace(/\s+/g, " ").trim();
    var box = h("div", {"class": "kw-article"}, [
      h("a", {"class": "kw-article-title", href: new URL("/help/articles/" + a.id, base).href, target: "_blank",
              rel: "noopener", text: a.title}),
      h("p", {"class": "kw-snippet", text: plain.length > 90 ? plain.slice(0, 90) + "…" : plain})]);
    if (f.feedback && state === "bot") {
      [[true, "helpful"], [false, "unhelpful"]].forEach(function (pair) {
        var b = h("button", {type: "button", "class": "kw-feedback secondary", text: t(pair[1])});
        b.addEventListener("click", function () {
          f.feedback = false;
          box.querySelectorAll(".kw-feedback").forEach(function (x) { x.remove(); });
          botLine({sender: "customer", text: t(pair[1])});
          botCall("/feedback", Object.assign({article_id: a.id, helpful: pair[0]}, saved.identity || {})).then(botReply);
        });
        box.appendChild(b);
      });
    }
    return box;
  }

  function resumeBot() {  // a reload while talking to the bot: its conversation so far, then on
    show("bot");
    botCall("/turns", null, "GET").then(function (r) {
      if (!r) { reset(); return; }
      r.data.forEach(function (turn) {
        botLine({sender: turn.sender, kind: "bot-" + turn.kind, text: turn.body, at: turn.created_at});
      });
    });
  }

  function toggle(open) {
    saved.open = open;
    save();
    ui.panel.hidden = !open;
    ui.launcher.hidden = open;
    if (open && state === "start") { ui.name.focus(); }
  }

  function mount() {
    document.body.appendChild(host);
    build();
    window.kefuWidget = {open: function () { toggle(true); }};
    if (botOn && saved.bot && !saved.chat_id) {
      resumeBot();
    } else if (saved.chat_id && saved.token) {
      show("waiting");
      status("connecting");
      saved.outbox.forEach(function (frame) { line({sender: "customer", text: frame.text}, frame.client_msg_id); });
      connect(null);
    } else {
      show("start");
    }
  }

  if (document.body) { mount(); } else { document.addEventListener("DOMContentLoaded", mount); }
}());
