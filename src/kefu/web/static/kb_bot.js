// The self-service bot (智能客服) on the help center: /api/v1/kb/bot. A handover leaves the chat id and its
// visitor token in sessionStorage (kefu.chat) for the chat widget to resume on /ws/chat/customer.
(function () {
  var box = document.getElementById("bot");
  if (!box) { return; }
  var log = document.getElementById("bot-log");
  var form = document.getElementById("bot-form");
  var input = form.querySelector("input[name=text]");
  var token = null;

  function line(who, text, articles) {
    var li = document.createElement("li");
    li.className = "bot-" + who;
    var p = document.createElement("p");
    p.textContent = text;
    li.appendChild(p);
    (articles || []).forEach(function (a) {
      var link = document.createElement("a");
      link.href = "/help/articles/" + a.id;
      link.textContent = a.title;
      link.className = "bot-article";
      li.appendChild(link);
    });
    log.appendChild(li);
  }

  function call(path, body) {
    var lang = document.documentElement.lang === "en" ? "en" : "zh-CN";  // the bot speaks the page's language
    return fetch("/api/v1/kb/bot" + path + "?lang=" + lang, {
      method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body || {})
    }).then(function (r) {
      return r.json().then(function (data) {
        if (!r.ok) { line("bot", data.detail || String(r.status)); return null; }  // e.g. 429: too many questions
        return data;
      });
    });
  }

  function show(reply) {
    if (!reply) { return; }
    line("bot", reply.text, reply.articles);
    if (reply.action === "handoff" && reply.chat_id) {
      sessionStorage.setItem("kefu.chat", JSON.stringify({chat_id: reply.chat_id, token: reply.visitor_token}));
      box.dataset.chat = String(reply.chat_id);
      line("bot", box.dataset.queued);
      input.disabled = true;
    }
  }

  function ready() {
    if (token) { return Promise.resolve(token); }
    return call("", {queue: box.dataset.queue}).then(function (r) {
      if (!r) { throw new Error("bot unavailable"); }
      token = r.token; line("bot", r.text); return token;
    });
  }

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    e.stopPropagation();  // not a page load: kefu.js must not disable the button
    var text = input.value.trim();
    if (!text) { return; }
    input.value = "";
    ready().then(function () {
      line("customer", text);
      return call("/" + encodeURIComponent(token) + "/messages", {text: text});
    }).then(show, function () { /* the reason is already in the log */ });
  });
})();
