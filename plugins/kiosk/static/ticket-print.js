// Paper tickets: once the screen shows a ticket, the server prints it on the receipt printer beside this kiosk
// and answers whether it came out; the screen says so, or that no ticket was printed and the visitor should
// remember the number on the screen. A kiosk without a printer prints through the browser (kiosk.css @media
// print keeps only the ticket; a kiosk browser started with --kiosk-printing prints without a dialog).
(function () {
  "use strict";
  const root = document.getElementById("kiosk");
  const box = document.getElementById("ticket-print");
  if (!root || !box) return;
  function say(state, text, trouble) {
    box.dataset.state = state;
    box.textContent = text;
    box.classList.toggle("kiosk-print-state--trouble", trouble);
    box.hidden = false;
  }
  document.addEventListener("mbk:ticket-shown", async function () {
    say("printing", box.dataset.printing, false);
    let answer = null;
    try {
      const response = await window.mbkFetch("/api/v1/offices/" + root.dataset.office + "/kiosk/tickets/print?lang=" + root.dataset.lang, {
        method: "POST",
        headers: { "Content-Type": "application/json", "Accept": "application/json" },
        body: JSON.stringify({ language: root.dataset.lang, idempotency_key: root.dataset.key }),
      });
      if (response.ok) answer = await response.json();
    } catch (e) {
      answer = null;  // the server is unreachable: nothing was printed
    }
    if (answer && answer.printer === "browser") {
      box.hidden = true;
      box.dataset.state = "browser";
      window.print();
    } else if (answer) {
      say(answer.state, answer.message, !answer.printed);
    } else {
      say("failed", box.dataset.failed, true);
    }
  });
})();
