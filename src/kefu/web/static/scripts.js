// kefu: insert a script (话术) into a reply box. Type its shortcut and a space (or just the shortcut when no
// longer one starts with it), or pick it from the menu; the server renders it for the customer and the
// signed-in agent (POST /api/v1/scripts/{id}/render). The ticket page's #script-menu is wired at load; the chat
// workspace wires each chat's box with window.kefuScripts.attach(menu, box, bodyFn).
(function () {
  "use strict";

  function rendered(id, body) {
    return fetch("/api/v1/scripts/" + id + "/render", {
      method: "POST",
      credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRF-Token": document.body.dataset.csrf || ""},
      body: JSON.stringify(body)
    }).then(function (r) {
      if (!r.ok) { throw new Error("script " + id + ": " + r.status); }
      return r.json();
    }).then(function (data) { return data.text; });
  }

  // menu: the <select> of scripts (options carry data-shortcut); box: the textarea; bodyFn: () => the render
  // request's body ({ticket_id} or {customer_id})
  function attach(menu, box, bodyFn) {
    var shortcuts = {};
    Array.prototype.forEach.call(menu.options, function (o) {
      if (o.dataset.shortcut) { shortcuts[o.dataset.shortcut] = o.value; }
    });
    var names = Object.keys(shortcuts);

    function insert(id, start, end) {
      return rendered(id, bodyFn()).then(function (text) {
        var value = box.value;
        box.value = value.slice(0, start) + text + value.slice(end);
        var caret = start + text.length;
        box.focus();
        box.setSelectionRange(caret, caret);
        box.dispatchEvent(new Event("kefu:script-inserted"));
      });
    }

    // the shortcut typed just before the caret: [its start, the end to replace, script id] or null
    function typed() {
      var caret = box.selectionStart;
      var before = box.value.slice(0, caret);
      var spaced = /\s$/.test(before);
      var word = spaced ? before.slice(0, -1) : before;
      var start = Math.max(word.lastIndexOf(" "), word.lastIndexOf("\n"), word.lastIndexOf("\t")) + 1;
      var token = word.slice(start);
      if (!Object.prototype.hasOwnProperty.call(shortcuts, token)) { return null; }
      var longer = names.some(function (n) { return n !== token && n.indexOf(token) === 0; });
      if (!spaced && longer) { return null; }
      return [start, caret, shortcuts[token]];
    }

    box.addEventListener("input", function () {
      var hit = typed();
      if (hit) { insert(hit[2], hit[0], hit[1]); }
    });

    menu.addEventListener("change", function () {
      if (!menu.value) { return; }
      var id = menu.value;
      menu.selectedIndex = 0;
      insert(id, box.selectionStart, box.selectionEnd);
    });
  }

  window.kefuScripts = {attach: attach};

  var menu = document.getElementById("script-menu");
  if (menu) {
    var ticket = Number(menu.dataset.ticket) || null;
    attach(menu, document.getElementById(menu.dataset.target), function () { return {ticket_id: ticket}; });
  }
}());
