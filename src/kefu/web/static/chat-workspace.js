// kefu: the agent's chat workspace. One WebSocket to /ws/chat/agent (docs/chat-protocol.md): 示闲/示忙, the
// agent's chats side by side, each with its customer in context (an htmx fragment), scripts while typing
// (scripts.js), the etiquette check before sending (POST /api/v1/compliance/check: warnings with their
// suggestion; a blocking violation cannot be sent), transfer and end; KB suggestions beside each chat, refreshed
// as the customer writes; team leads observe any chat, read-only.
// Delivery: each chat's highest seq is kept, and a reconnect resumes after it; a message not acknowledged yet is
// sent again with the same client id, so the server stores it once.
(function () {
  "use strict";
  var root = document.getElementById("chat-workspace");
  if (!root) { return; }
  var T = JSON.parse(root.dataset.strings || "{}");
  var grid = document.getElementById("chats");
  var template = document.getElementById("chat-panel");
  var csrf = document.body.dataset.csrf || "";
  var chats = {};        // chat id -> {el, seq, mode: "mine"|"observe", ended, transcript: [{role, text}]}
  var outbox = [];       // frames not yet acknowledged, in the order first sent
  var ws = null, greeted = false, retry = 0, counter = 0;

  function $(el, sel) { return el.querySelector(sel); }
  function t(key) { return T[key] || key; }

  // -- the connection --------------------------------------------------------------------------------------------
  function setConn(key) { document.getElementById("conn-state").textContent = t(key); }

  function showError(text) {
    var p = document.getElementById("ws-error");
    p.textContent = text;
    p.hidden = false;
    window.clearTimeout(showError.timer);
    showError.timer = window.setTimeout(function () { p.hidden = true; }, 8000);
  }

  function send(frame) {
    if (ws && ws.readyState === WebSocket.OPEN && greeted) { ws.send(JSON.stringify(frame)); return true; }
    return false;
  }

  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    ws = new WebSocket(scheme + location.host + "/ws/chat/agent");
    greeted = false;
    setConn("connecting");
    ws.onopen = function () {
      var resume = [];
      Object.keys(chats).forEach(function (id) {
        var c = chats[id];
        if (c.mode === "mine" && !c.ended) { resume.push({chat_id: Number(id), after_seq: c.seq}); }
      });
      ws.send(JSON.stringify({type: "hello", resume: resume}));
    };
    ws.onmessage = function (e) {
      var frame;
      try { frame = JSON.parse(e.data); } catch (err) { return; }
      (handlers[frame.type] || function () {})(frame);
    };
    ws.onclose = function () {
      greeted = false;
      setConn("offline");
      retry = Math.min(retry + 1, 6);
      window.setTimeout(connect, 300 * retry);
    };
  }

  var handlers = {
    welcome: function (f) {
      greeted = true;
      retry = 0;
      setConn("online");
      if (f.presence) { handlers.presence({status: f.presence}); }
      if (f.chats) { reconcile(f.chats); }
      Object.keys(chats).forEach(function (id) {
        var c = chats[id];
        if (c.mode === "observe" && !c.ended) { send({type: "observe", chat_id: Number(id), after_seq: c.seq}); }
      });
      outbox.forEach(function (frame) { ws.send(JSON.stringify(frame)); });
    },
    // before the welcome, a refused resume (a chat requeued or transferred while away): the welcome reconciles
    error: function (f) {
      if (!greeted && (f.code === "forbidden" || f.code === "not_found")) { return; }
      showError(f.message + (f.field ? " (" + f.field + ")" : ""));
    },
    presence: function (f) {
      var badge = document.getElementById("presence");
      badge.dataset.status = f.status;
      badge.textContent = t("presence." + f.status);
    },
    assigned: function (f) {
      var c = panel(f.chat_id, "mine");
      if (c.mode === "mine" && c.ended) {  // the same customer back to this agent (e.g. after a requeue)
        c.ended = false;
        $(c.el, ".compose").hidden = false;
        $(c.el, ".chat-close").hidden = true;
      }
      $(c.el, ".chat-customer").textContent = f.customer_name || "";
      setState(c, "active");
    },
    message: function (f) {
      var c = chats[f.chat_id] || panel(f.chat_id, "mine");
      if (f.seq <= c.seq) { return; }
      c.seq = f.seq;
      c.transcript.push({role: f.sender, text: f.text});
      if (f.client_msg_id && f.sender === "agent") { dropPending(c, f.client_msg_id); }
      addLine(c, f);
      if (f.sender === "customer") { $(c.el, ".typing").hidden = true; }
      if (f.sender === "customer" || f.kind === "bot_transcript") { refreshKb(c, f.chat_id); }
    },
    ack: function (f) { unqueue(f.client_msg_id); },
    warning: function (f) {
      var c = chats[f.chat_id];
      if (c) { showChecks(c, f.violations, t("warned")); }
    },
    blocked: function (f) {
      unqueue(f.client_msg_id);
      var c = chats[f.chat_id];
      if (!c) { return; }
      var line = dropPending(c, f.client_msg_id);
      var box = $(c.el, ".reply");
      if (line && !box.value) { box.value = line.dataset.text; }
      showChecks(c, f.violations, t("blocked"));
    },
    released: function (f) {
      var c = chats[f.chat_id];
      if (c) { c.ended = true; setState(c, "released"); }
    },
    ended: function (f) {
      var c = chats[f.chat_id];
      if (c) { c.ended = true; setState(c, "ended"); }
    },
    typing: function (f) {
      var c = chats[f.chat_id];
      if (!c || f.sender !== "customer") { return; }
      var p = $(c.el, ".typing");
      p.hidden = false;
      window.clearTimeout(c.typingTimer);
      c.typingTimer = window.setTimeout(function () { p.hidden = true; }, 4000);
    }
  };

  // the server's word on which chats are this agent's (after a reconnect): a panel of another chat that still
  // takes replies was requeued or transferred meanwhile — it stops taking them, and what it had not sent is
  // marked as not sent (dropped from the outbox, which would be refused)
  function reconcile(ids) {
    var mine = {};
    ids.forEach(function (id) { mine[id] = true; });
    Object.keys(chats).forEach(function (id) {
      var c = chats[id];
      if (c.mode !== "mine" || c.ended || mine[id]) { return; }
      c.ended = true;
      setState(c, "released");
      outbox = outbox.filter(function (frame) { return frame.chat_id !== Number(id); });
      Array.prototype.forEach.call(c.el.querySelectorAll("li.pending"), function (li) {
        li.classList.replace("pending", "failed");
        $(li, ".who").textContent = t("agent") + " · " + t("not_sent");
      });
    });
  }

  function unqueue(clientId) {
    outbox = outbox.filter(function (frame) { return frame.client_msg_id !== clientId; });
  }

  // -- a chat's panel --------------------------------------------------------------------------------------------
  function panel(id, mode) {
    if (chats[id]) { return chats[id]; }
    var el = template.content.firstElementChild.cloneNode(true);
    el.id = "chat-" + id;
    el.dataset.chatId = id;
    var c = {el: el, seq: 0, mode: mode, ended: false, transcript: []};
    chats[id] = c;
    $(el, ".chat-no").textContent = "#" + id;
    grid.appendChild(el);
    document.getElementById("no-chats").hidden = true;
    var aside = $(el, ".chat-context");
    aside.setAttribute("hx-get", "/chat/workspace/chats/" + id + "/context");
    aside.setAttribute("hx-trigger", "load");
    if (window.htmx) { window.htmx.process(aside); }
    if (mode === "observe") {
      $(el, ".compose").hidden = true;
      setState(c, "observing");
    } else {
      wireCompose(c, id);
    }
    $(el, ".chat-close").addEventListener("click", function () {
      el.remove();
      delete chats[id];
      document.getElementById("no-chats").hidden = Object.keys(chats).length > 0;
    });
    return c;
  }

  // KB suggestions from what the customer wrote (and asked the bot before the handover): the server-rendered
  // /kb-suggestions fragment, fetched again a moment after the customer's latest message
  function refreshKb(c, id) {
    var list = $(c.el, ".kb-list");
    if (!list || !window.htmx) { return; }
    window.clearTimeout(c.kbTimer);
    c.kbTimer = window.setTimeout(function () {
      window.htmx.ajax("GET", "/kb-suggestions?chat_id=" + encodeURIComponent(id), {target: list, swap: "innerHTML"});
    }, 600);
  }

  function setState(c, state) {
    var badge = $(c.el, ".chat-state");
    var labels = {active: "", ended: t("ended"), released: t("released"), observing: t("observing")};
    badge.textContent = labels[state] || "";
    badge.hidden = !badge.textContent;
    c.el.dataset.state = state;
    if (state === "ended" || state === "released") {
      $(c.el, ".compose").hidden = true;
      $(c.el, ".chat-close").hidden = false;
      $(c.el, ".typing").hidden = true;
    }
    if (state === "observing") { $(c.el, ".chat-close").hidden = false; }
  }

  function hhmm(iso) {
    var d = new Date(iso);
    return isNaN(d) ? "" : ("0" + d.getHours()).slice(-2) + ":" + ("0" + d.getMinutes()).slice(-2);
  }

  function addLine(c, f, pendingId) {
    var li = document.createElement("li");
    li.className = "line from-" + f.sender + (f.kind && f.kind !== "text" ? " kind-" + f.kind : "");
    var who = document.createElement("span");
    who.className = "who";
    who.textContent = t(f.sender) + (f.at ? " " + hhmm(f.at) : "");
    var text = document.createElement("span");
    text.className = "text";
    text.textContent = f.text;
    li.appendChild(who);
    li.appendChild(text);
    if (f.violations && f.violations.length) {
      var warn = document.createElement("span");
      warn.className = "badge warn";
      warn.textContent = f.violations.map(function (v) { return v.message; }).join(";");
      li.appendChild(warn);
    }
    if (pendingId) {
      li.classList.add("pending");
      li.dataset.pending = pendingId;
      li.dataset.text = f.text;
      who.textContent = t("agent") + " · " + t("sending");
    }
    var list = $(c.el, ".transcript");
    list.appendChild(li);
    list.scrollTop = list.scrollHeight;
    return li;
  }

  function dropPending(c, clientId) {
    var li = c.el.querySelector('li[data-pending="' + clientId.replace(/["\\]/g, "") + '"]');
    if (li) { li.remove(); }
    return li;
  }

  function showChecks(c, violations, heading) {
    var box = $(c.el, ".checks");
    var list = $(box, "ul");
    list.textContent = "";
    box.hidden = !violations.length;
    box.classList.toggle("blocking", violations.some(function (v) { return v.blocking; }));
    if (heading && violations.length) {
      var h = document.createElement("li");
      h.className = "check-heading";
      h.textContent = heading;
      list.appendChild(h);
    }
    violations.forEach(function (v) {
      var li = document.createElement("li");
      li.className = "violation " + (v.blocking ? "block" : "warn");
      li.dataset.rule = v.rule;
      li.textContent = v.message;
      if (v.suggestion) {
        var s = document.createElement("span");
        s.className = "suggestion";
        s.textContent = " " + t("suggestion") + v.suggestion;
        li.appendChild(s);
      }
      list.appendChild(li);
    });
  }

  // -- writing: scripts, the etiquette check, send, transfer, end -----------------------------------------------
  function check(c, text) {
    return fetch("/api/v1/compliance/check", {
      method: "POST",
      credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRF-Token": csrf},
      body: JSON.stringify({text: text, context: c.transcript.slice(-500).map(function (m) {
        return {role: m.role, text: m.text.slice(0, 5000)};
      })})
    }).then(function (r) { return r.ok ? r.json() : {violations: [], blocked: false}; });
  }

  function wireCompose(c, id) {
    var el = c.el, box = $(el, ".reply"), sendButton = $(el, ".send"), timer = null, lastTyping = 0;
    var menu = $(el, ".script-select");
    if (menu && window.kefuScripts) {
      window.kefuScripts.attach(menu, box, function () {
        var ctx = el.querySelector(".ctx");
        return {customer_id: ctx ? Number(ctx.dataset.customerId) : null};
      });
    }

    function live() {
      var text = box.value.trim();
      if (!text) { showChecks(c, []); sendButton.disabled = false; return Promise.resolve(null); }
      return check(c, text).then(function (result) {
        if (box.value.trim() !== text) { return result; }
        showChecks(c, result.violations);
        sendButton.disabled = result.blocked;
        return result;
      });
    }

    box.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(live, 300);
      var now = Date.now();
      if (now - lastTyping > 2500) { lastTyping = now; send({type: "typing", chat_id: id}); }
    });
    box.addEventListener("kefu:script-inserted", live);
    box.addEventListener("keydown", function (e) {
      if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); sendButton.click(); }
    });

    sendButton.addEventListener("click", function () {
      var text = box.value.trim();
      if (!text || c.ended) { return; }
      window.clearTimeout(timer);
      sendButton.disabled = true;
      check(c, text).then(function (result) {
        if (result.blocked) { showChecks(c, result.violations, t("blocked")); return; }
        counter += 1;
        var frame = {type: "message", chat_id: id, client_msg_id: "a" + Date.now().toString(36) + "-" + counter,
                     text: text};
        outbox.push(frame);
        addLine(c, {sender: "agent", text: text}, frame.client_msg_id);
        box.value = "";
        lastTyping = 0;
        showChecks(c, result.violations, result.violations.length ? t("warned") : null);
        send(frame);
      }).finally(function () { sendButton.disabled = false; });
    });

    // colleagues' presence as it is now, not as the page loaded: the options again each time the list is opened
    var targets = $(el, ".transfer-to");
    function refreshTargets() {
      var stamp = (refreshTargets.stamp || 0) + 1;
      refreshTargets.stamp = stamp;
      fetch("/chat/workspace/transfer-targets", {credentials: "same-origin"}).then(function (r) {
        return r.ok ? r.text() : null;
      }).then(function (html) {
        if (html === null || stamp !== refreshTargets.stamp) { return; }
        var chosen = targets.value;
        targets.innerHTML = html;
        targets.value = chosen;
        if (targets.value !== chosen) { targets.value = ""; }
      }).catch(function () {});
    }
    targets.addEventListener("focus", refreshTargets);
    targets.addEventListener("pointerdown", refreshTargets);

    $(el, ".transfer").addEventListener("click", function () {
      var target = $(el, ".transfer-to").value;
      if (!target) { return; }
      var parts = target.split(":");
      var frame = {type: "transfer", chat_id: id};
      frame[parts[0] === "agent" ? "to_agent_id" : "to_team_id"] = Number(parts[1]);
      send(frame);
    });

    var endButton = $(el, ".end");
    endButton.addEventListener("click", function () {
      if (endButton.dataset.armed) {
        send({type: "end", chat_id: id});
        return;
      }
      endButton.dataset.armed = "1";
      endButton.textContent = t("end_confirm");
      window.setTimeout(function () { delete endButton.dataset.armed; endButton.textContent = t("end"); }, 5000);
    });
  }

  // -- presence and observing ------------------------------------------------------------------------------------
  document.getElementById("btn-ready").addEventListener("click", function () {
    var n = Number(document.getElementById("concurrency").value);
    send(n > 0 ? {type: "ready", concurrency: n} : {type: "ready"});
  });
  document.getElementById("btn-away").addEventListener("click", function () { send({type: "away"}); });

  document.addEventListener("click", function (e) {
    var button = e.target.closest && e.target.closest("[data-observe]");
    if (!button) { return; }
    var id = Number(button.dataset.observe);
    if (chats[id]) { chats[id].el.scrollIntoView(); return; }
    var c = panel(id, "observe");
    $(c.el, ".chat-customer").textContent = button.dataset.customer || "";
    send({type: "observe", chat_id: id, after_seq: 0});
  });

  connect();
}());
