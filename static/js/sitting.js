// The chair's view: "j" and "k" (or Alt+arrow keys) move to the next and previous item, unless
// the chair is typing in a field. Links carry rel="next" / rel="prev".
document.addEventListener("keydown", (event) => {
  const target = event.target;
  if (target.closest("input, textarea, select, [contenteditable]")) return;
  const forward = event.key === "j" || (event.altKey && event.key === "ArrowDown");
  const back = event.key === "k" || (event.altKey && event.key === "ArrowUp");
  if (!forward && !back) return;
  const link = document.querySelector(forward ? 'a[rel="next"]' : 'a[rel="prev"]');
  if (link) { event.preventDefault(); link.click(); }
});

// Nothing is lost: the item's record saves itself a moment after the chair stops typing, and
// when a field is left. Each save sends the version the last one got back, so the chair's own
// saves never conflict; pressing "Save" waits for a save in flight first. The form still works
// without this script (the Save button).
document.querySelectorAll("form[data-autosave]").forEach((form) => {
  const status = form.querySelector("[data-autosave-status]");
  const version = form.querySelector('input[name$="version"]');
  let timer = null;
  let saving = Promise.resolve();
  let submitting = false;

  const save = () => {
    clearTimeout(timer);
    timer = null;
    saving = saving.then(async () => {
      try {
        const response = await fetch(form.action, {
          method: "POST",
          body: new FormData(form),
          headers: { Accept: "application/json" },
          credentials: "same-origin",
        });
        const body = await response.json();
        if (response.ok) {
          version.value = body.version;
          status.textContent = body.message;
        } else {
          status.textContent = body.error;
        }
      } catch (error) {
        status.textContent = form.dataset.offlineText;
      }
    });
    return saving;
  };

  form.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(save, 1500);
  });
  form.addEventListener("change", (event) => {
    if (event.target.type === "submit") return;
    save();
  });
  form.addEventListener("submit", (event) => {
    if (submitting) return;
    event.preventDefault();
    submitting = true;
    clearTimeout(timer); // what was waiting to be saved goes with the form itself
    saving.finally(() => form.submit());
  });
});
