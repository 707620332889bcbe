// The survey tablet: one question per screen, answers kept in memory until the last screen, then sent once.
// A random token per session of answers makes a repeated send (double tap, retry) record nothing twice;
// the server enforces it. Taps during the first moment of a new screen are ignored, so that the second
// tap of a double tap does not answer the next question.
(function () {
  "use strict";
  const root = document.getElementById("sv-tablet");
  if (!root) return;
  const GUARD_MS = 500;
  const screens = Array.from(root.querySelectorAll(".sv-screen"));
  const byName = (name) => screens.find((s) => s.dataset.screen === name);
  const questions = screens.filter((s) => s.dataset.screen === "question");
  const thankYouMs = Number(root.dataset.thankYouSeconds) * 1000;
  const inactivityMs = Number(root.dataset.inactivitySeconds) * 1000;
  let state = null;
  let lockedUntil = 0;
  let sending = false;
  let timer = null;

  function newToken() {
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function show(screen) {
    screens.forEach((s) => { s.hidden = s !== screen; });
    lockedUntil = Date.now() + GUARD_MS;
    const heading = screen.querySelector("h1");
    if (heading) heading.focus();
  }

  function later(ms, action) {
    clearTimeout(timer);
    timer = setTimeout(action, ms);
  }

  function restart() {
    clearTimeout(timer);
    window.location.assign(root.dataset.startUrl);
  }

  function begin() {
    state = { token: newToken(), answers: {}, gender: null, context: root.dataset.context || null, index: 0 };
    showQuestion(0);
  }

  function current(screen) {
    if (screen.dataset.field === "answers") return state.answers[screen.dataset.question];
    return state[screen.dataset.field];
  }

  function record(screen, value) {
    if (screen.dataset.field === "answers") {
      if (value === null || value === "") delete state.answers[screen.dataset.question];
      else state.answers[screen.dataset.question] = value;
    } else {
      state[screen.dataset.field] = value;
    }
  }

  function showQuestion(index) {
    state.index = index;
    if (index >= questions.length) { submit(); return; }
    const screen = questions[index];
    screen.querySelectorAll(".sv-answer[data-value]").forEach((b) => {
      b.setAttribute("aria-pressed", b.dataset.value === current(screen) ? "true" : "false");
    });
    show(screen);
    later(inactivityMs, restart);
  }

  function submit() {
    if (sending) return;
    if (Object.keys(state.answers).length === 0) { thank(); return; }
    sending = true;
    clearTimeout(timer);
    show(byName("sending"));
    const body = { token: state.token, language: root.dataset.language, answers: state.answers };
    if (state.gender) body.gender = state.gender;
    if (state.context) body.context = state.context;
    window.mbkFetch(root.dataset.submitUrl, {
      method: "POST",
      headers: { "Content-Type": "application/json", "Accept": "application/json" },
      body: JSON.stringify(body),
    }).then((response) => {
      if (!response.ok) throw new Error("HTTP " + response.status);
      sending = false;
      thank();
    }).catch(() => {
      sending = false;
      show(byName("error"));
      later(inactivityMs, restart);
    });
  }

  function thank() {
    state = null;
    show(byName("thanks"));
    later(thankYouMs, restart);
  }

  root.addEventListener("click", (event) => {
    const button = event.target.closest("button");
    if (!button || !root.contains(button)) return;
    if (Date.now() < lockedUntil) { event.preventDefault(); return; }
    const screen = button.closest(".sv-screen");
    const action = button.dataset.action;
    if (action === "restart") { restart(); return; }
    if (action === "retry") { if (state) submit(); else restart(); return; }
    if (!state) return;
    lockedUntil = Date.now() + GUARD_MS;
    if (action === "back") { showQuestion(Math.max(0, state.index - 1)); return; }
    if (action === "skip") { record(screen, null); showQuestion(state.index + 1); return; }
    if (action === "text") { record(screen, screen.querySelector("textarea").value.trim()); showQuestion(state.index + 1); return; }
    if (button.dataset.value !== undefined) { record(screen, button.dataset.value); showQuestion(state.index + 1); }
  });

  // Any touch or key while answering postpones the return to the start screen.
  ["pointerdown", "keydown"].forEach((type) => document.addEventListener(type, () => {
    if (state && !sending) later(inactivityMs, restart);
  }));

  if (root.dataset.begin === "true" && questions.length) begin();
  else show(byName("start"));
})();
