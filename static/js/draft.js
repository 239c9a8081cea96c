// Keeps the answers of the submission form with this browser's draft while they are typed
// (navigation/views/public.py: submit_draft_save), so a reload or a lost connection loses
// nothing. Until a save has gone through, static/js/forms.js warns before the page is left.
(function () {
  "use strict";

  var form = document.querySelector("form[data-draft-url]");
  if (!form || !window.FormData || !window.XMLHttpRequest) {
    return;
  }
  var url = form.getAttribute("data-draft-url");
  var status = form.querySelector("[data-draft-status]");
  var changes = 0; // answers changed so far
  var savedAt = 0; // the value of `changes` the last successful save carried
  var timer = null;
  var saving = false;

  function answers() {
    var data = new FormData(form);
    // Files go through the upload script; the answers are everything else.
    form.querySelectorAll("input[type=file]").forEach(function (input) {
      data.delete(input.name);
    });
    data.delete("action");
    return data;
  }

  function show(text) {
    if (status) {
      status.hidden = false;
      status.textContent = text;
    }
  }

  function save() {
    timer = null;
    if (saving) {
      timer = window.setTimeout(save, 300);
      return;
    }
    saving = true;
    var carrying = changes;
    var xhr = new XMLHttpRequest();
    xhr.open("POST", url);
    xhr.setRequestHeader("X-CSRFToken", (form.querySelector("input[name=csrfmiddlewaretoken]") || {}).value || "");
    xhr.setRequestHeader("Accept", "application/json");
    xhr.addEventListener("loadend", function () {
      saving = false;
      if (xhr.status === 200) {
        savedAt = carrying;
        if (savedAt === changes) {
          form.setAttribute("data-draft-saved", "");
          show("Your answers are saved.");
          if (window.cancerfaxForms) {
            window.cancerfaxForms.saved(form);
          }
        }
      } else {
        show("Your latest answers could not be saved yet. Please keep this page open.");
      }
    });
    xhr.send(answers());
  }

  function changed(event) {
    if (event.target.type === "file") {
      return;
    }
    changes += 1;
    form.removeAttribute("data-draft-saved");
    if (timer) {
      window.clearTimeout(timer);
    }
    timer = window.setTimeout(save, 600);
  }

  form.addEventListener("input", changed);
  form.addEventListener("change", changed);
  // The form carries the answers itself (and keeps them, whatever the outcome).
  form.addEventListener("submit", function () {
    if (timer) {
      window.clearTimeout(timer);
      timer = null;
    }
    savedAt = changes;
  });

  // Leaving with a save still to come: hand it to the browser to send on the way out.
  window.addEventListener("pagehide", function () {
    if (savedAt !== changes && navigator.sendBeacon) {
      navigator.sendBeacon(url, answers());
    }
  });
})();
