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
