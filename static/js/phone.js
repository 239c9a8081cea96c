// The phone question's example follows the chosen country (records/forms.py:
// phone_help_text). The examples come with the page as JSON (no inline script: CSP).
(function () {
  "use strict";

  var data = document.getElementById("phone-examples");
  var country = document.querySelector("select[name=country]");
  var help = document.querySelector("[data-phone-help]");
  if (!data || !country || !help) {
    return;
  }
  var examples = JSON.parse(data.textContent);
  var template = help.getAttribute("data-template");

  country.addEventListener("change", function () {
    var example = examples[country.value];
    if (example) {
      help.textContent = template.replace("{country}", country.value).replace("{example}", example);
    }
  });
})();
