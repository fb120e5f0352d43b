/* Forms the GOV.UK way, on every page (base.html):
 * - the error summary ("There is a problem") takes the focus when the page loads, and its links
 *   move the focus to the field they name;
 * - a form (or the button pressed) marked data-confirm (templates/macros/confirm.html) asks in one
 *   shared <dialog> before it is sent, naming what will happen; "yes" sends it with confirm=yes. Without this script the
 *   server answers the unconfirmed POST with a confirmation page (app/common/confirm.py).
 * - an action sent another way (a socket event: the proctor's force submit) asks in the same
 *   dialog through window.confirmAction({title, text, yes, cancel, returnFocus}, onYes).
 */
(function () {
  "use strict";

  function focusSummary() {
    var summary = document.querySelector("[data-error-summary]");
    if (summary) { summary.focus(); }
  }

  function followSummaryLink(event) {
    var link = event.target.closest(".error-summary a[href^='#']");
    if (!link) { return; }
    var target = document.getElementById(link.getAttribute("href").slice(1));
    if (!target) { return; }
    event.preventDefault();
    var label = document.querySelector("label[for='" + target.id + "']");
    (label || target).scrollIntoView({block: "start"});
    target.focus({preventScroll: true});
  }

  var dialog = null;
  var pending = null;   // {form, submitter} or {onYes, returnFocus}

  function buildDialog() {
    dialog = document.createElement("dialog");
    dialog.className = "confirm-dialog";
    dialog.setAttribute("aria-labelledby", "confirm-dialog-title");
    dialog.setAttribute("aria-describedby", "confirm-dialog-text");
    var title = document.createElement("h2");
    title.id = "confirm-dialog-title";
    var text = document.createElement("p");
    text.id = "confirm-dialog-text";
    var row = document.createElement("div");
    row.className = "button-row";
    var yes = document.createElement("button");
    yes.type = "button";
    yes.className = "button danger";
    yes.id = "confirm-dialog-yes";
    var no = document.createElement("button");
    no.type = "button";
    no.className = "button secondary";
    no.id = "confirm-dialog-no";
    row.appendChild(yes);
    row.appendChild(no);
    dialog.appendChild(title);
    dialog.appendChild(text);
    dialog.appendChild(row);
    document.body.appendChild(dialog);
    no.addEventListener("click", function () { dialog.close(); });
    yes.addEventListener("click", function () {
      var p = pending;
      pending = null;
      dialog.close();
      if (!p) { return; }
      if (p.onYes) {
        if (p.returnFocus) { p.returnFocus.focus(); }
        p.onYes();
        return;
      }
      p.form.querySelector("[data-confirm-field]").value = "yes";
      if (p.submitter && p.form.requestSubmit) { p.form.requestSubmit(p.submitter); }
      else { p.form.submit(); }
    });
    dialog.addEventListener("close", function () {
      // Cancelled (button or Escape): the focus goes back to the button that asked.
      var back = pending && (pending.submitter || pending.returnFocus);
      if (back) { back.focus(); }
      pending = null;
    });
  }

  function open(words) {
    if (!dialog) { buildDialog(); }
    dialog.querySelector("#confirm-dialog-title").textContent = words.title;
    dialog.querySelector("#confirm-dialog-text").textContent = words.text;
    dialog.querySelector("#confirm-dialog-yes").textContent = words.yes;
    dialog.querySelector("#confirm-dialog-no").textContent = words.cancel;
    dialog.showModal();
    // "No" has the focus: Enter pressed by habit does not do the irreversible thing.
    dialog.querySelector("#confirm-dialog-no").focus();
  }

  function confirmAction(words, onYes) {
    pending = {onYes: onYes, returnFocus: words.returnFocus || null};
    open(words);
  }

  function ask(event) {
    var form = event.target;
    if (!form.querySelector) { return; }
    var submitter = event.submitter || form.querySelector("[type=submit]");
    // The words come from the button pressed when it has its own (approve / reject in one
    // form), else from the form.
    var source = submitter && submitter.hasAttribute("data-confirm") ? submitter
      : (form.hasAttribute("data-confirm") ? form : null);
    if (!source) { return; }
    var field = form.querySelector("[data-confirm-field]");
    if (!field || field.value === "yes" || typeof HTMLDialogElement === "undefined") { return; }
    event.preventDefault();
    pending = {form: form, submitter: submitter};
    open({
      title: source.dataset.confirmTitle,
      text: source.dataset.confirmText,
      yes: source.dataset.confirmYes,
      cancel: source.dataset.confirmCancel
    });
  }

  window.confirmAction = confirmAction;

  document.addEventListener("submit", ask);
  document.addEventListener("click", followSummaryLink);
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", focusSummary);
  } else {
    focusSummary();
  }
})();
