// A guide on the kiosk a screenful at a time: the introduction, each numbered step, each other section, with
// next and back (a long guide on one page would be thousands of pixels to scroll on a touch screen). Focus
// moves to the new page's heading so that a screen reader (and the read-aloud) starts there.
(function () {
  "use strict";
  const pages = Array.from(document.querySelectorAll(".kiosk-guide-page"));
  const back = document.getElementById("guide-step-back");
  const next = document.getElementById("guide-step-next");
  const count = document.getElementById("guide-count");
  if (pages.length < 2 || !back || !next) return;
  let current = 0;
  function show(index) {
    current = Math.max(0, Math.min(index, pages.length - 1));
    pages.forEach(function (page, i) { page.hidden = i !== current; });
    count.textContent = pages[current].dataset.count;
    back.hidden = current === 0;
    next.hidden = current === pages.length - 1;
    const heading = pages[current].querySelector("h2[tabindex='-1']") || document.getElementById("guide-title");
    heading.focus();
    window.scrollTo(0, 0);
  }
  back.addEventListener("click", function () { show(current - 1); });
  next.addEventListener("click", function () { show(current + 1); });
})();
