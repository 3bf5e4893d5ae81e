// kefu: send the CSRF token with every htmx request
document.addEventListener("htmx:configRequest", function (e) {
  e.detail.headers["X-CSRF-Token"] = document.body.dataset.csrf || "";
});
