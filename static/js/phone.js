// The phone question's example follows the chosen country (records/forms.py:
// phone_help_text). The examples come with the page as JSON in an attribute of the country
// question (no inline script: CSP).
(function () {
  "use strict";

  var country = document.querySelector("select[name=country][data-phone-examples]");
  var help = document.querySelector("[data-phone-help]");
  if (!country || !help) {
    return;
  }
  var examples = JSON.parse(country.getAttribute("data-phone-examples"));
  var template = help.getAttribute("data-template");

  country.addEventListener("change", function () {
    var example = examples[country.value];
    if (example) {
      help.textContent = template.replace("{country}", country.value).replace("{example}", example);
    }
  });
})();
