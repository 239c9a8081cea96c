// The portal's "Send more documents" form with resumable uploads (static/js/resumable.js):
// the chosen files go one after another, each with a progress bar, and continue where they
// stopped when the connection drops. When all are done the case page opens again at its
// documents. Without this script (or without the browser features it needs) the form
// sends the files itself, as before.
(function () {
  "use strict";

  var form = document.querySelector("form[data-resumable-url]");
  if (!form || !window.CfxResumable || !window.CfxResumable.supported) {
    return;
  }
  var endpoint = form.getAttribute("data-resumable-url");
  var chunkSize = parseInt(form.getAttribute("data-resumable-chunk-bytes"), 10);
  var input = form.querySelector("input[type=file]");
  var category = form.querySelector("select[name=category]");
  var list = form.querySelector("[data-portal-uploads]");
  var announcer = form.querySelector("[data-portal-announce]");
  var busy = false;

  function csrfToken() {
    var field = form.querySelector("input[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    if (text !== undefined) {
      node.textContent = text;
    }
    return node;
  }

  function announce(text) {
    if (announcer) {
      announcer.textContent = text;
    }
  }

  form.addEventListener("submit", function (event) {
    var files = Array.prototype.slice.call(input.files || []);
    if (!files.length || !category.value) {
      return; // the server explains what is missing
    }
    event.preventDefault();
    if (busy) {
      return;
    }
    busy = true;
    var received = 0;
    var failed = 0;
    var chosen = category.value;
    list.textContent = "";

    function next() {
      var file = files.shift();
      if (!file) {
        busy = false;
        input.value = "";
        if (window.cancerfaxForms) {
          window.cancerfaxForms.saved(form);
        }
        if (received && !failed) {
          window.location.hash = "documents";
          window.location.reload();
        } else if (received) {
          var again = el("a", "", "Show my documents");
          again.href = window.location.pathname + "#documents";
          list.appendChild(el("li", "py-1")).appendChild(again);
        }
        return;
      }
      var item = el("li", "py-1");
      var bar = el("div", "progress");
      bar.setAttribute("role", "progressbar");
      bar.setAttribute("aria-label", "Uploading " + file.name);
      bar.setAttribute("aria-valuemin", "0");
      bar.setAttribute("aria-valuemax", "100");
      bar.setAttribute("aria-valuenow", "0");
      var fill = el("div", "progress-bar");
      fill.style.width = "0%";
      bar.appendChild(fill);
      item.appendChild(el("div", "small text-break", file.name));
      item.appendChild(bar);
      list.appendChild(item);
      window.CfxResumable.upload(file, {
        endpoint: endpoint,
        category: chosen,
        chunkSize: chunkSize,
        csrfToken: csrfToken,
        onProgress: function (sent, total) {
          var percent = total ? Math.round((sent / total) * 100) : 100;
          fill.style.width = percent + "%";
          bar.setAttribute("aria-valuenow", String(percent));
        },
        onWaiting: function () {
          announce("The connection was lost. " + file.name + " will continue when it is back.");
        },
        onSuccess: function () {
          received += 1;
          item.setAttribute("data-upload-done", "");
          announce(file.name + " received.");
          next();
        },
        onError: function (message) {
          failed += 1;
          item.textContent = "";
          item.className = "py-1 text-danger";
          item.setAttribute("data-upload-error", "");
          item.appendChild(el("strong", "text-break", file.name + ": "));
          item.appendChild(el("span", "", message));
          announce(file.name + " was not accepted: " + message);
          next();
        },
      });
    }
    next();
  });
})();
