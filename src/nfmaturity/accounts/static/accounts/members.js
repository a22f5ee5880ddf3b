// Members page: the invitation link's copy button, and the link selected whole when the field is focused.
// Kept in a static file because the Content-Security-Policy refuses inline scripts and handlers.
"use strict";

function copyText(input) {
  // The Clipboard API exists only on HTTPS or localhost; a platform on plain HTTP in a LAN uses the
  // older selection-and-copy command.
  if (navigator.clipboard && window.isSecureContext) return navigator.clipboard.writeText(input.value);
  input.select();
  return document.execCommand("copy") ? Promise.resolve() : Promise.reject(new Error("copy refused"));
}

document.addEventListener("click", function (event) {
  const button = event.target.closest("[data-copy-from]");
  if (!button) return;
  const input = document.getElementById(button.dataset.copyFrom);
  if (!input) return;
  const label = button.textContent;
  copyText(input).then(
    function () {
      button.textContent = button.dataset.copiedText;
      setTimeout(function () { button.textContent = label; }, 2000);
    },
    function () {
      // Copying was refused: leave the link selected so that Ctrl+C copies it.
      input.focus();
      input.select();
    },
  );
});

document.addEventListener("focusin", function (event) {
  if (event.target.matches("[data-select-on-focus]")) event.target.select();
});
