// Small form helpers used on every page; the pages work without them.
// - After a failed submit the error summary takes the focus (autofocus does this where the
//   browser supports it), so a screen reader reads it first and a keyboard user starts there.
// - A form marked data-warn-unsaved asks before the page is left with answers not yet saved.
//   A script that saves the answers elsewhere (the submission draft) says so through
//   window.cancerfaxForms.saved(form).
(function () {
  "use strict";

  var summary = document.querySelector("[data-error-summary]");
  if (summary && document.activeElement !== summary) {
    summary.focus();
  }

  var dirty = [];

  function markDirty(form) {
    if (dirty.indexOf(form) === -1) {
      dirty.push(form);
    }
  }

  function markSaved(form) {
    var at = dirty.indexOf(form);
    if (at !== -1) {
      dirty.splice(at, 1);
    }
  }

  document.querySelectorAll("form[data-warn-unsaved]").forEach(function (form) {
    // Files that upload as soon as they are chosen (data-category) are saved already.
    function changed(event) {
      if (!event.target.hasAttribute("data-category")) {
        markDirty(form);
      }
    }
    form.addEventListener("input", changed);
    form.addEventListener("change", changed);
    // Sending the form is not leaving it with unsaved answers.
    form.addEventListener("submit", function () {
      markSaved(form);
    });
  });

  window.addEventListener("beforeunload", function (event) {
    if (dirty.length) {
      event.preventDefault();
      event.returnValue = "";
    }
  });

  window.cancerfaxForms = { saved: markSaved, changed: markDirty };
})();
