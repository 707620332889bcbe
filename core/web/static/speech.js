// Speech for shared screens, from the office's clips (core.speech): one player that says things strictly one
// after another (window.mbkSpeech, used by the display board), and the kiosk's "read aloud" control: it reads the
// screen's heading, texts and choices in the visitor's language, then each choice as it gets focus.
// Clips are fetched when a screen is shown and kept in memory, so reading goes on when the server is out of
// reach. A language without clips is read by the browser's own voice, if it has one for that language.
(function () {
  "use strict";

  // --- The player: one thing at a time, in the order asked ------------------------------------------------
  const audio = new Audio();
  const kept = new Map(); // clip URL → object URL of its bytes (fetched once)
  let chain = Promise.resolve();
  let generation = 0; // stop() makes every queued item of an older generation a no-op
  let finishPlaying = null; // ends the clip playing now (a paused clip never fires "ended")

  function fetchClip(url) {
    if (kept.has(url)) return kept.get(url);
    const loading = fetch(url, { credentials: "same-origin" })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.blob(); })
      .then(function (blob) { return URL.createObjectURL(blob); });
    kept.set(url, loading);
    loading.catch(function () { kept.delete(url); }); // the next screen tries again
    return loading;
  }

  // Resolves true once the clip has played (or was stopped), false when it could not be fetched.
  function playClip(url, mine) {
    return fetchClip(url).then(function (source) {
      if (mine !== generation) return true;
      return new Promise(function (resolve) {
        let done = false;
        const finish = function () {
          if (done) return;
          done = true;
          finishPlaying = null;
          audio.onended = audio.onerror = null;
          clearTimeout(guard);
          resolve(true);
        };
        // Never let a clip that does not end (no audio device) hold up everything after it.
        const guard = setTimeout(finish, 15000);
        audio.onended = audio.onerror = finishPlaying = finish;
        audio.dataset.clip = url; // which clip is playing (the object URL says nothing)
        audio.src = source;
        audio.play().catch(finish);
      });
    }, function () { return false; });
  }

  function voiceFor(language) {
    if (!("speechSynthesis" in window)) return null;
    return speechSynthesis.getVoices().find(function (v) { return v.lang.toLowerCase().split("-")[0] === language; });
  }

  function speakText(language, text, mine) {
    const voice = voiceFor(language);
    // Only a voice of the language itself: another language's voice would garble the text.
    if (!voice || mine !== generation) return Promise.resolve();
    return new Promise(function (resolve) {
      const utterance = new SpeechSynthesisUtterance(text);
      utterance.lang = voice.lang;
      utterance.voice = voice;
      utterance.onend = utterance.onerror = function () { resolve(); };
      setTimeout(resolve, 20000);
      speechSynthesis.speak(utterance);
    });
  }

  // item: { urls: [clip URLs] } and/or { language, text } (the browser's voice, also when a clip cannot be
  // fetched); each item waits for the one before.
  function enqueue(item) {
    const mine = generation;
    chain = chain.then(async function () {
      if (mine !== generation) return;
      let played = !!item.urls;
      for (const url of item.urls || []) played = (await playClip(url, mine)) && played;
      if (!played && item.text) await speakText(item.language, item.text, mine);
    });
    return chain;
  }

  function stop() {
    generation += 1;
    audio.pause();
    if (finishPlaying) finishPlaying(); // else what is said next waits for the stopped clip's 15-second guard
    if ("speechSynthesis" in window) speechSynthesis.cancel();
  }

  window.mbkSpeech = { enqueue: enqueue, stop: stop, prefetch: fetchClip };
  if ("speechSynthesis" in window) speechSynthesis.getVoices(); // voices load in the background: ask early

  // --- Read aloud (a page with a #mbk-read-aloud button: the kiosk) --------------------------------------
  const button = document.getElementById("mbk-read-aloud");
  if (!button) return;
  const COOKIE = "mbk_display"; // with large text and high contrast: the kiosk's start-over forgets all three
  const office = button.dataset.office;
  const main = document.getElementById("main");
  const SAYS = "h1, h2, h3, p, legend, dt, dd, label, a[href], button, [role=alert], [role=status]";
  const CHOICES = "a[href], button, input, select, textarea";

  function modes() {
    const m = document.cookie.match(/(?:^|; )mbk_display=([^;]*)/);
    return new Set(m ? decodeURIComponent(m[1]).split(",").filter(Boolean) : []);
  }
  function isOn() { return modes().has("speech"); }
  function setOn(on) {
    const set = modes();
    if (on) set.add("speech"); else set.delete("speech");
    document.cookie = COOKIE + "=" + encodeURIComponent([...set].join(",")) + "; path=/; max-age=31536000; samesite=lax";
    document.documentElement.classList.toggle("mbk-speech", on);
    button.setAttribute("aria-pressed", on ? "true" : "false");
  }

  function shown(el) {
    return !el.closest("[hidden], [aria-hidden=true], .mbk-sr") && el.getClientRects().length > 0;
  }
  // An element's text as the lines it shows (a tile's label and its description are two phrases, each with
  // its own clip).
  function linesOf(el) {
    const text = el.matches("input, select, textarea")
      ? (el.labels && el.labels[0] ? el.labels[0].innerText : el.getAttribute("aria-label") || "")
      : el.innerText || el.textContent || "";
    return text.split(/\n+/).map(function (line) { return line.replace(/\s+/g, " ").trim(); }).filter(Boolean);
  }
  function languageOf(el) {
    const marked = el.closest("[lang]");
    return (marked ? marked.getAttribute("lang") : document.documentElement.lang).split("-")[0];
  }
  // What a part of the screen says, in reading order: an element inside one already taken is part of it.
  function blocks(scope, hiddenToo) {
    const out = [];
    const taken = [];
    scope.querySelectorAll(SAYS).forEach(function (el) {
      const skip = hiddenToo ? el.closest("[aria-hidden=true], .mbk-sr") : !shown(el);
      if (el === button || skip || taken.some(function (t) { return t.contains(el); })) return;
      const lines = linesOf(el);
      if (!lines.length) return;
      taken.push(el);
      lines.forEach(function (text) { out.push({ language: languageOf(el), text: text }); });
    });
    return out;
  }

  const resolved = new Map(); // language + "\n" + text → clip URLs or null
  async function resolve(items) {
    const byLanguage = new Map();
    items.forEach(function (item) {
      const key = item.language + "\n" + item.text;
      if (resolved.has(key)) return;
      if (!byLanguage.has(item.language)) byLanguage.set(item.language, new Set());
      byLanguage.get(item.language).add(item.text);
    });
    const batches = [];
    byLanguage.forEach(function (set, language) {
      const texts = [...set];
      for (let i = 0; i < texts.length; i += 80) batches.push([language, texts.slice(i, i + 80)]);
    });
    await Promise.all(batches.map(async function ([language, texts]) {
      let answer = null;
      try {
        const response = await window.mbkFetch("/api/v1/offices/" + office + "/speech/" + language, {
          method: "POST", headers: { "Content-Type": "application/json", "Accept": "application/json" },
          body: JSON.stringify({ texts: texts }),
        });
        if (response.ok) answer = await response.json();
      } catch (e) { answer = null; }
      if (!answer) return; // unreachable: asked again next time; meanwhile the browser's voice
      texts.forEach(function (text, i) {
        const urls = answer.texts[i];
        resolved.set(language + "\n" + text, urls);
        (urls || []).forEach(fetchClip);
      });
    }));
  }
  function say(items) {
    items.forEach(function (item) {
      const urls = resolved.get(item.language + "\n" + item.text);
      enqueue({ urls: urls || null, language: item.language, text: item.text });
    });
  }
  async function read(items) {
    await resolve(items);
    say(items);
  }
  function readScreen() {
    stop();
    const dialog = [...document.querySelectorAll("[role=alertdialog], [role=alert]")].find(function (d) {
      return !main.contains(d) && shown(d);
    });
    return read(blocks(dialog || main));
  }

  function toggle() {
    const on = !isOn();
    setOn(on);
    if (on) readScreen(); else stop();
  }
  button.addEventListener("click", toggle);
  document.addEventListener("keydown", function (event) {
    if (event.altKey && !event.ctrlKey && !event.metaKey && event.code === "KeyR") {
      event.preventDefault();
      button.focus();
      toggle();
    }
  });
  // Each choice as it gets focus (after the screen, when the visitor moves on their own).
  document.addEventListener("focusin", function (event) {
    const choice = event.target.closest && event.target.closest(CHOICES);
    if (!isOn() || !choice || choice === button || !shown(choice)) return;
    const lines = linesOf(choice);
    if (!lines.length) return;
    stop();
    read(lines.map(function (text) { return { language: languageOf(choice), text: text }; }));
  });
  // A step, a result or the "are you still there?" question that appears is read as it appears.
  new MutationObserver(function (changes) {
    if (!isOn()) return;
    const appeared = changes.map(function (c) { return c.target; }).find(function (el) {
      return !el.hidden && shown(el) && (el.matches("[role=alert]") || el.querySelector("h1, h2, [role=alert]"));
    });
    if (appeared) { stop(); read(blocks(appeared)); }
  }).observe(document.body, { attributes: true, attributeFilter: ["hidden"], subtree: true });

  const onFromBefore = isOn();
  setOn(onFromBefore);
  // Fetch the clips of this screen and of what it may show later (its steps, "are you still there?", "the
  // server cannot be reached") now, while the server answers; read the screen if the visitor turned reading on.
  resolve(blocks(document.body, true)).then(function () { if (onFromBefore && isOn()) readScreen(); });
})();
