// The questionnaire page: the 不适用 reason field opens at once when 不适用 is chosen (no round trip to
// the server), Enter in that field saves 不适用 rather than the first rating button, and the help dialog.
"use strict";

function reasonParts(form) {
  const box = form.querySelector(".na-reason");
  return { box: box, input: box ? box.querySelector("input[name=reason]") : null };
}

document.addEventListener("click", function (event) {
  const opener = event.target.closest("[data-open-dialog]");
  if (opener) {
    const dialog = document.getElementById(opener.dataset.openDialog);
    if (dialog && typeof dialog.showModal === "function") dialog.showModal();
    return;
  }
  const button = event.target.closest(".rating-form button[name=value]");
  if (!button || button.value !== "na") return;
  const parts = reasonParts(button.form);
  if (!parts.input) return;
  parts.box.hidden = false;
  if (parts.input.value.trim() === "") {
    // Nothing to save yet: 不适用 needs a reason. Open the field and wait for it.
    event.preventDefault();
    parts.input.focus();
  }
});

document.addEventListener("keydown", function (event) {
  if (event.key !== "Enter" || event.isComposing) return;
  const input = event.target.closest(".rating-form input[name=reason]");
  if (!input) return;
  event.preventDefault();
  input.form.querySelector(".na-confirm").click();
});

// A rating block swapped in after a refused 不适用 asks for the reason: put the cursor there.
document.addEventListener("htmx:afterSettle", function () {
  const field = document.querySelector(".rating-form input[name=reason][autofocus]");
  if (field && document.activeElement !== field) field.focus();
});
