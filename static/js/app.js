// Every page. Loaded in <head>: scripts run, so what hides behind a button only with script
// (the menu, the agenda on a phone) is shown to browsers without it.
document.documentElement.classList.add("js");

// After a save the focus goes back where the person was: to a field the server refused, else
// to the field they last used in the form they sent (when the page they come back to is the
// page they sent it from), else to the section the page's address points at (#...-heading,
// #rec-12), whose first control takes it.
const FOCUS_KEY = "conference-focus";
const CONTROLS = "input:not([type=hidden]), select, textarea, button";

document.addEventListener("focusin", (event) => {
  const form = event.target.closest && event.target.closest("form");
  if (form && event.target.id && event.target.matches(CONTROLS)) {
    form.dataset.lastField = event.target.id;
  }
});

document.addEventListener("submit", (event) => {
  const form = event.target;
  const field = form.dataset.lastField || (form.querySelector(CONTROLS) || {}).id;
  if (!field) return;
  try {
    sessionStorage.setItem(FOCUS_KEY, JSON.stringify({ path: location.pathname, field }));
  } catch (error) {
    // Storage refused (private mode): the section in the address still takes the focus.
  }
});

const focusOn = (element) => {
  if (!element) return false;
  if (!element.matches(CONTROLS + ", [tabindex]")) element.setAttribute("tabindex", "-1");
  element.focus({ preventScroll: true });
  element.scrollIntoView({ block: "center" });
  return document.activeElement === element;
};

const restoreFocus = () => {
  const refused = document.querySelector("main .is-invalid, main [aria-invalid=true]");
  if (refused) return focusOn(refused);
  let saved = null;
  try {
    saved = JSON.parse(sessionStorage.getItem(FOCUS_KEY) || "null");
    sessionStorage.removeItem(FOCUS_KEY);
  } catch (error) {
    saved = null;
  }
  if (saved && saved.path === location.pathname && focusOn(document.getElementById(saved.field))) {
    return true;
  }
  if (!location.hash) return false;
  const target = document.getElementById(decodeURIComponent(location.hash.slice(1)));
  if (!target) return false;
  if (target.matches(CONTROLS)) return focusOn(target);
  const section = target.closest("section, article, form, tr, fieldset") || target;
  const control = [...section.querySelectorAll(CONTROLS)].find((el) => el.offsetParent !== null);
  return focusOn(control || target);
};

// On "load", not before: Chrome moves the focus back to the document while it scrolls to the
// address's #fragment after the page is parsed.
window.addEventListener("load", restoreFocus);
