// The kiosk screen: inactivity reset, "server unreachable" with retry that keeps the input, on-screen keys,
// and the three flows that POST (arrival, talk to a guide, ticket for a service). Every POST carries the
// screen's request key, so a double tap or a retry never makes a second arrival or ticket.
(function () {
  "use strict";
  const root = document.getElementById("kiosk");
  if (!root) return;
  const cfg = root.dataset;
  const office = cfg.office;
  const lang = cfg.lang;
  const api = "/api/v1/offices/" + office + "/kiosk";
  // Every call names the screen's language in its address, so that a refused one (422) is told in it too.
  function kioskUrl(path) { return api + path + (path.includes("?") ? "&" : "?") + "lang=" + lang; }
  const $ = (id) => document.getElementById(id);
  // A tile may open another plugin's page: core's device.js there shows the way back and keeps this reset.
  sessionStorage.setItem("mbk-home", cfg.home);
  sessionStorage.setItem("mbk-inactivity", cfg.inactivity);
  const POLL_MILLISECONDS = 2000;

  // --- Inactivity: warn with a countdown, one touch extends, then start over (forgetting everything) ------
  const overlay = $("kiosk-idle");
  const count = $("kiosk-idle-count");
  const warning = Number(cfg.warning);
  let total = Number(cfg.inactivity);
  let idleTimer = null;
  let tick = null;

  let focusBefore = null;
  // Starting over forgets everything of this visitor: the screen (the start URL also resets the language) and
  // the large-text and high-contrast choices.
  function startOver() {
    window.mbkForgetDisplay();
    window.location.replace(cfg.home);
  }
  function displayChanged() {
    const classes = document.documentElement.classList;
    return classes.contains("mbk-large") || classes.contains("mbk-contrast") || classes.contains("mbk-speech");
  }
  function hideWarning() {
    clearInterval(tick);
    if (overlay.hidden) return;
    overlay.hidden = true;
    if (focusBefore && document.contains(focusBefore)) focusBefore.focus();  // back where the visitor was
  }
  function showWarning() {
    focusBefore = document.activeElement;
    let left = warning;
    count.textContent = String(left);
    overlay.hidden = false;
    $("kiosk-idle-more").focus();
    tick = setInterval(function () {
      left -= 1;
      count.textContent = String(Math.max(left, 0));
      if (left <= 0) { clearInterval(tick); startOver(); }
    }, 1000);
  }
  function arm() {
    clearTimeout(idleTimer);
    hideWarning();
    // The start screen in the start language has nothing to forget, unless the display was changed.
    if (cfg.idle !== "on" && !displayChanged()) return;
    idleTimer = setTimeout(showWarning, Math.max(total - warning, 1) * 1000);
  }
  ["pointerdown", "keydown", "input"].forEach(function (type) {
    document.addEventListener(type, arm, { capture: true, passive: true });
  });
  $("kiosk-idle-more").addEventListener("click", arm);
  // After a display toggle has switched its class (bubbling comes after the button's own handler).
  document.addEventListener("click", function (event) { if (event.target.closest(".mbk-toggle")) arm(); });
  // The warning is modal: keyboard focus stays on its one button while it shows.
  document.addEventListener("keydown", function (event) {
    if (event.key === "Tab" && !overlay.hidden) { event.preventDefault(); $("kiosk-idle-more").focus(); }
  });
  // A finished screen (arrival told, ticket taken) starts over sooner, for the next visitor's privacy.
  function finished() { cfg.idle = "on"; total = Math.min(total, Number(cfg.done)); arm(); }
  arm();

  // --- Server unreachable: say so, keep everything, retry on request ----------------------------------
  const offline = $("kiosk-offline");
  let pendingRetry = null;
  function showOffline(retry) {
    pendingRetry = retry;
    offline.hidden = false;
    $("kiosk-offline-retry").focus();
  }
  $("kiosk-offline-retry").addEventListener("click", function () {
    offline.hidden = true;
    const retry = pendingRetry;
    pendingRetry = null;
    if (retry) retry();
  });
  async function reachable() {
    const abort = new AbortController();
    const timer = setTimeout(function () { abort.abort(); }, 5000);
    try {
      const response = await fetch("/healthz", { cache: "no-store", signal: abort.signal });
      return response.ok;
    } catch (e) {
      return false;
    } finally {
      clearTimeout(timer);
    }
  }
  // Links are followed only when the server answers, so a visitor never meets the browser's error page.
  document.addEventListener("click", function (event) {
    const link = event.target.closest("a[href]");
    if (!link || event.defaultPrevented || link.target || link.getAttribute("href").startsWith("#")) return;
    const url = new URL(link.href, window.location.href);
    if (url.origin !== window.location.origin) return;
    event.preventDefault();
    const go = async function () {
      if (await reachable()) window.location.assign(url.href);
      else showOffline(go);
    };
    go();
  });

  // JSON request: resolves with the answer, rejects with the server's problem ({error, detail}); when the
  // server cannot be reached it waits for the visitor's "Try again" and sends the very same request again.
  function send(method, url, body) {
    return new Promise(function (resolve, reject) {
      const attempt = async function () {
        let response;
        try {
          response = await window.mbkFetch(url, {
            method: method,
            headers: { "Content-Type": "application/json", "Accept": "application/json" },
            body: body === undefined ? undefined : JSON.stringify(body),
          });
        } catch (e) {
          showOffline(attempt);
          return;
        }
        let data = null;
        try { data = await response.json(); } catch (e) { data = null; }
        if (response.ok) resolve(data);
        else if (data && data.error) reject(data);
        else showOffline(attempt);  // a proxy's error page: the server itself was not reached
      };
      attempt();
    });
  }

  function showStep(step) {
    root.querySelectorAll(".kiosk-step").forEach(function (el) { el.hidden = el !== step; });
    const heading = step.querySelector("[tabindex='-1']");
    if (heading) heading.focus();
  }
  function busy(button, on) { button.disabled = on; button.setAttribute("aria-busy", on ? "true" : "false"); }

  // --- On-screen keys (touch screens have no keyboard) ------------------------------------------------
  root.addEventListener("click", function (event) {
    const key = event.target.closest("[data-type], [data-erase]");
    if (!key) return;
    const input = $(key.dataset.target || key.dataset.erase);
    if (key.dataset.erase) input.value = input.value.slice(0, -1);
    else if (input.value.length < Number(input.maxLength > 0 ? input.maxLength : 100)) input.value += key.dataset.type;
    input.dispatchEvent(new Event("input", { bubbles: true }));
  });

  // --- Booked meeting ------------------------------------------------------------------------------
  const find = $("meeting-find");
  if (find) {
    let chosen = null;
    const confirmStep = $("meeting-confirm");
    find.querySelectorAll("[data-panel]").forEach(function (tab) {
      tab.addEventListener("click", function () {
        find.querySelectorAll("[data-panel]").forEach(function (other) {
          const open = other === tab;
          other.setAttribute("aria-expanded", open ? "true" : "false");
          $(other.dataset.panel).hidden = !open;
        });
        if (tab.dataset.panel === "by-code") $("booking-code").focus();  // where a barcode scanner types
      });
    });
    find.querySelectorAll("[data-letter]").forEach(function (key) {
      key.addEventListener("click", function () {
        const letter = key.dataset.letter;
        find.querySelectorAll("[data-letter]").forEach(function (k) { k.setAttribute("aria-pressed", k === key ? "true" : "false"); });
        find.querySelectorAll("li[data-initials]").forEach(function (item) {
          item.hidden = letter !== "" && item.dataset.initials.split(" ").indexOf(letter) < 0;
        });
      });
    });
    function choose(target) {
      chosen = target;
      $("meeting-who").textContent = target.label;
      $("meeting-error").textContent = "";
      showStep(confirmStep);
    }
    // After the officer (or department): the times of their meetings open for arrival now, so that the visitor
    // picks their own; only times are shown, never whose meetings they are. No times: on to the confirmation.
    function chooseTime(target) {
      const whom = target.officer_id ? "officer_id=" + encodeURIComponent(target.officer_id)
                                     : "unit_id=" + encodeURIComponent(target.unit_id);
      send("GET", kioskUrl("/meeting-times?" + whom)).then(function (found) {
        if (!found.times.length) { choose(target); return; }
        const list = $("meeting-times");
        list.replaceChildren();
        found.times.forEach(function (time) {
          const item = document.createElement("li");
          const button = document.createElement("button");
          button.type = "button";
          button.className = "kiosk-pick";
          button.dir = "ltr";
          button.textContent = time.label;
          button.addEventListener("click", function () {
            choose(Object.assign({}, target, { start: time.start, label: target.label + " · " + time.label }));
          });
          item.appendChild(button);
          list.appendChild(item);
        });
        $("meeting-time-none").onclick = function () { choose(target); };
        showStep($("meeting-time"));
      }, function () { choose(target); });
    }
    find.querySelectorAll(".kiosk-pick").forEach(function (pick) {
      pick.addEventListener("click", function () {
        chooseTime({ officer_id: pick.dataset.officer || null, unit_id: pick.dataset.unit || null, label: pick.dataset.label });
      });
    });
    $("meeting-time-back").addEventListener("click", function () { showStep(find); });
    // A barcode scanner types what the confirmation's QR code holds, then Enter: the booking code, or a link
    // that carries it (…?code=123456).
    function bookingCode(text) {
      const typed = text.trim();
      try {
        const carried = new URL(typed).searchParams.get("code");
        if (carried) return carried.trim();
      } catch (notALink) { /* typed on the key pad */ }
      return typed;
    }
    $("booking-code").addEventListener("keydown", function (event) {
      if (event.key === "Enter") { event.preventDefault(); $("booking-code-find").click(); }
    });
    $("booking-code-find").addEventListener("click", function () {
      const code = bookingCode($("booking-code").value);
      $("booking-code").value = code;
      $("booking-code-error").textContent = "";
      if (!code) { $("booking-code").focus(); return; }
      send("GET", kioskUrl("/booking-codes/" + encodeURIComponent(code))).then(function (found) {
        choose({ officer_id: found.officer_id, unit_id: found.unit_id || null, booking_code: code,
                 label: found.label || found.name + (found.unit ? ", " + found.unit : "") });
      }, function (problem) { $("booking-code-error").textContent = problem.detail; });
    });
    $("meeting-back").addEventListener("click", function () { showStep(find); });
    // The confirmation says only what is true now: "being told", then sent, on the way, or "ask at the desk".
    function showArrival(arrival) {
      if ($("meeting-told").textContent !== arrival.told) $("meeting-told").textContent = arrival.told;
      $("meeting-wait").textContent = arrival.advice;
      $("meeting-done").dataset.notification = arrival.notification;
      $("meeting-done").dataset.escalated = arrival.escalated ? "true" : "false";
      if (arrival.final) finished();
    }
    // Follow the arrival's state by short polling until it is final (the screen resets meanwhile as usual). Polls
    // overlap when the server is slow: an older state coming back last would take back what the screen said.
    function follow(id) {
      const reads = window.mbkOrderedReads();
      const poll = setInterval(async function () {
        const read = reads.ask();
        try {
          const response = await window.mbkFetch(kioskUrl("/arrivals/" + encodeURIComponent(id)),
                                                 { headers: { "Accept": "application/json" }, cache: "no-store" });
          if (!response.ok) return;  // a hiccup: the next poll tries again
          const arrival = await response.json();
          if (!reads.newer(read)) return;
          showArrival(arrival);
          if (arrival.final) clearInterval(poll);
        } catch (e) { /* the server is unreachable for a moment: keep what the screen says and try again */ }
      }, POLL_MILLISECONDS);
    }
    const confirmButton = $("meeting-confirm-button");
    confirmButton.addEventListener("click", function () {
      if (confirmButton.disabled) return;
      busy(confirmButton, true);
      send("POST", kioskUrl("/arrivals"), {
        language: lang, idempotency_key: cfg.key, officer_id: chosen.officer_id, unit_id: chosen.unit_id,
        booking_code: chosen.booking_code || null, start: chosen.start || null,
        first_name: $("first-name").value.trim() || null,
      }).then(function (arrival) {
        $("first-name").value = "";
        showArrival(arrival);
        showStep($("meeting-done"));
        if (!arrival.final) follow(arrival.id);
      }, function (problem) {
        $("meeting-error").textContent = problem.detail;
      }).finally(function () { busy(confirmButton, false); });
    });
  }

  // --- Tickets: talk to a guide (category + answers) or a service tile -----------------------------------
  function showTicket(ticket) {
    $("ticket-number").textContent = ticket.number;
    $("ticket-service").textContent = ticket.service_name;
    $("ticket-position").textContent = ticket.position_text;
    $("ticket-wait").textContent = ticket.wait_text;
    $("ticket-wait").hidden = !ticket.wait_text;
    const qr = $("ticket-qr");
    qr.src = ticket.qr;
    qr.hidden = false;
    showStep($("ticket-result"));
    finished();
    document.dispatchEvent(new CustomEvent("mbk:ticket-shown", { detail: ticket }));  // ticket-print.js prints it
  }
  function requestTicket(button, errorBox, body) {
    if (button.disabled) return;
    busy(button, true);
    errorBox.textContent = "";
    send("POST", kioskUrl("/tickets"), Object.assign({ language: lang, idempotency_key: cfg.key }, body))
      .then(showTicket, function (problem) { errorBox.textContent = problem.detail; })
      .finally(function () { busy(button, false); });
  }
  const talkForm = $("talk-form");
  if (talkForm) {
    talkForm.addEventListener("submit", function (event) {
      event.preventDefault();
      const answers = {};
      let missing = null;
      talkForm.querySelectorAll("fieldset.kiosk-question").forEach(function (set) {
        const checked = set.querySelector("input:checked");
        set.setAttribute("aria-invalid", checked ? "false" : "true");
        if (checked) answers[checked.name] = checked.value;
        else if (!missing) missing = set;
      });
      const errorBox = $("talk-error");
      if (missing) {
        errorBox.textContent = errorBox.dataset.unanswered;
        missing.querySelector("input").focus();
        return;
      }
      const interpreter = talkForm.querySelector("input[name=interpreter]:checked");
      requestTicket($("talk-submit"), errorBox, { category: talkForm.dataset.category, answers: answers,
        interpreter: interpreter && interpreter.value ? interpreter.value : null });
    });
    talkForm.addEventListener("change", function (event) {
      const set = event.target.closest("fieldset");
      if (set) set.setAttribute("aria-invalid", "false");
    });
  }
  const take = $("ticket-take");
  if (take) {
    $("ticket-take-button").addEventListener("click", function () {
      requestTicket($("ticket-take-button"), $("ticket-error"), { service: take.dataset.service });
    });
  }
})();
