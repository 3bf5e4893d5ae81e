// kefu: send the CSRF token with every htmx request
document.addEventListener("htmx:configRequest", function (e) {
  e.detail.headers["X-CSRF-Token"] = document.body.dataset.csrf || "";
});

// "Go back" links on error pages (no inline handlers: the CSP forbids them)
document.addEventListener("click", function (e) {
  var link = e.target.closest && e.target.closest("[data-back]");
  if (link && window.history.length > 1) {
    e.preventDefault();
    window.history.back();
  }
});

// a form posts once: disable its submit buttons while the page changes
document.addEventListener("submit", function (e) {
  var form = e.target;
  window.setTimeout(function () {
    form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
  }, 0);
});
