// Moves the focus to a form's error summary when the page shows one, so that keyboard and screen
// reader users hear the errors first. Without JavaScript the summary is still the first thing in
// the form, with links to each field.
document.addEventListener("DOMContentLoaded", function () {
  var summary = document.querySelector(".error-summary");
  if (summary) {
    if (!summary.hasAttribute("tabindex")) summary.setAttribute("tabindex", "-1");
    summary.focus();
  }
});
