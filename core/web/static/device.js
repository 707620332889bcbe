// An enrolled device (a kiosk, a display board, a survey tablet) checks in every minute while a page of it is
// open, so that the office's device list shows it online and a silent one as offline (device.offline).
(function () {
  "use strict";
  const beat = document.querySelector('meta[name="mbk-heartbeat"]');
  if (!beat) return;
  setInterval(function () {
    fetch(beat.content, { cache: "no-store", credentials: "same-origin" }).catch(function () {});
  }, 60000);
})();

// A page opened from a device's start screen (a kiosk tile leading to another plugin's page) shows the way back
// and goes back by itself after the start screen's inactivity time, so the next visitor finds the start screen.
// The start screen leaves its address and that time in sessionStorage ("mbk-home", "mbk-inactivity" in seconds);
// on a phone or a staff PC neither is set and nothing shows. Pages under the start screen's own path keep their
// own inactivity handling.
(function () {
  "use strict";
  const home = sessionStorage.getItem("mbk-home");
  const seconds = Number(sessionStorage.getItem("mbk-inactivity"));
  const link = document.getElementById("mbk-home");
  if (!home || !link || !(seconds > 0)) return;
  if (window.location.pathname.startsWith(new URL(home, window.location.href).pathname)) return;
  link.href = home;
  link.hidden = false;
  let timer = null;
  function arm() {
    clearTimeout(timer);
    timer = setTimeout(function () {
      if (window.mbkForgetDisplay) window.mbkForgetDisplay();  // the next visitor starts with the usual display
      window.location.replace(home);
    }, seconds * 1000);
  }
  ["pointerdown", "keydown", "input", "scroll"].forEach(function (type) {
    document.addEventListener(type, arm, { capture: true, passive: true });
  });
  arm();
})();
