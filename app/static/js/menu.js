/* The site menu on a phone (issue 16): folded behind a "Menu" disclosure button. The button is
   a real <button> (Enter and Space open it), says whether the menu is open (aria-expanded), and
   Escape closes the menu and returns to it. Without this script the menu is simply shown. */
(function () {
  "use strict";
  var nav = document.getElementById("main-nav");
  if (!nav) return;
  var button = nav.querySelector(".menu-toggle");
  var menu = document.getElementById("main-menu");
  if (!button || !menu) return;

  function setOpen(open) {
    button.setAttribute("aria-expanded", open ? "true" : "false");
    nav.classList.toggle("menu-open", open);
  }

  nav.classList.add("menu-folds");
  button.hidden = false;
  setOpen(false);

  button.addEventListener("click", function () {
    setOpen(button.getAttribute("aria-expanded") !== "true");
  });
  nav.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && nav.classList.contains("menu-open")) {
      setOpen(false);
      button.focus();
    }
  });
})();
