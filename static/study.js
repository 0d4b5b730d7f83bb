// Counts active study time on a lesson page honestly: every 30 seconds, while the page is in
// front of the learner and they touched, scrolled or typed in the last minute, it tells the
// server, which adds at most the time since the last beat (records.Beat). Idle or hidden
// pages count nothing. Without script, no online time is counted: the hours page says so.
(function () {
  var form = document.querySelector('form[data-study]');
  if (!form || !window.fetch) return;
  var last = Date.now();
  ['pointerdown', 'keydown', 'scroll', 'touchstart'].forEach(function (e) {
    window.addEventListener(e, function () { last = Date.now(); }, { passive: true });
  });
  function beat() {
    if (document.visibilityState !== 'visible' || Date.now() - last > 60000) return;
    fetch(form.action, { method: 'POST', body: new URLSearchParams(new FormData(form)), credentials: 'same-origin' }).catch(function () {});
  }
  beat();
  setInterval(beat, 30000);
})();
