// The live meeting and the chair's view follow the sitting without a reload. Every few seconds
// each part marked [data-live-url] asks the server whether anything changed, sending the tag
// of what it shows (If-None-Match): the server answers 304 while nothing did, or the new
// part. A part whose form someone is filling in keeps what they typed: the news waits until
// they leave the form. Polling pauses while the tab is hidden. Without this script, a refresh
// shows the same.
const EVERY_MS = 3000;

// What someone has chosen or typed in a form of the part, by form and field name.
const typedIn = (part) =>
  [...part.querySelectorAll("form[data-live-form][data-touched]")].map((form) => [
    form.getAttribute("action"),
    [...form.elements].filter((el) => el.name && el.type !== "hidden"),
  ]);

// ...put back into the same form of the new part, if it is still there.
const putBack = (part, typed) => {
  typed.forEach(([action, fields]) => {
    const form = part.querySelector(`form[action="${CSS.escape(action)}"]`);
    if (!form) return;
    form.dataset.touched = "1";
    fields.forEach((old) => {
      const found = [...form.elements].filter((el) => el.name === old.name);
      found.forEach((el) => {
        if (el.type === "radio" || el.type === "checkbox") {
          if (el.value === old.value) el.checked = old.checked;
        } else {
          el.value = old.value;
        }
      });
    });
  });
};

const follow = (part) => {
  const status = document.querySelector("[data-live-status]");
  const say = (text) => {
    if (status && text && status.textContent !== text) status.textContent = text;
  };
  let etag = `"${part.dataset.etag}"`;
  let held = null;
  let stopped = false;

  // Someone is filling in one of the part's forms: the news waits until they leave it.
  const busy = () =>
    [...part.querySelectorAll("form[data-touched]")].some((form) =>
      form.contains(document.activeElement),
    );
  const touched = (event) => {
    const form = event.target.closest("form[data-live-form]");
    if (form) form.dataset.touched = "1";
  };
  part.addEventListener("input", touched);
  part.addEventListener("change", touched);

  const show = (html) => {
    held = null;
    if ("livePieces" in part.dataset) {
      // Only the marked pieces change (the chair's view: the positions, as they arrive).
      const fresh = document.createElement("template");
      fresh.innerHTML = html;
      fresh.content.querySelectorAll("[data-live-piece]").forEach((piece) => {
        const old = document.getElementById(piece.id);
        if (old && old.innerHTML !== piece.innerHTML) old.innerHTML = piece.innerHTML;
      });
    } else {
      const typed = typedIn(part);
      const focused = part.contains(document.activeElement) ? document.activeElement.id : "";
      part.innerHTML = html;
      putBack(part, typed);
      const again = focused && document.getElementById(focused);
      if (again) again.focus({ preventScroll: true }); // the same field, if it is still there
    }
    say(part.dataset.updatedText);
  };

  const poll = async () => {
    if (stopped || document.hidden) return;
    try {
      const response = await fetch(part.dataset.liveUrl, {
        headers: { "If-None-Match": etag, Accept: "text/html" },
        cache: "no-store",
        credentials: "same-origin",
      });
      if (response.status === 304) return;
      if (response.redirected || response.status !== 200) {
        stopped = true; // signed out, or no longer allowed: a refresh says which
        say(part.dataset.signedOutText);
        return;
      }
      const html = await response.text();
      etag = response.headers.get("ETag") || etag;
      if (busy() && !("livePieces" in part.dataset)) {
        held = html;
        say(part.dataset.waitingText);
      } else {
        show(html);
      }
    } catch (error) {
      say(part.dataset.offlineText);
    }
  };

  part.addEventListener("focusout", () => {
    setTimeout(() => {
      if (held !== null && !busy()) show(held);
    }, 0);
  });
  say(part.dataset.followingText);
  setInterval(poll, EVERY_MS);
  document.addEventListener("visibilitychange", () => {
    if (!document.hidden) poll();
  });
};

document.querySelectorAll("[data-live-url]").forEach(follow);
