// Read-aloud: reads the lesson with the browser's own speech synthesis, for people who read
// little. The button stays hidden unless the browser has a voice for the page's language.
(function () {
  var btn = document.getElementById('read-aloud');
  var body = document.getElementById('lesson-body');
  if (!btn || !body || !('speechSynthesis' in window)) return;
  var lang = btn.getAttribute('data-lang');
  var label = btn.textContent, stop = btn.getAttribute('data-stop');
  function voice() {
    var vs = speechSynthesis.getVoices(), prefix = lang.slice(0, 2);
    for (var i = 0; i < vs.length; i++) if (vs[i].lang.replace('_', '-').indexOf(lang) === 0) return vs[i];
    for (var j = 0; j < vs.length; j++) if (vs[j].lang.indexOf(prefix) === 0) return vs[j];
    return null;
  }
  function ready() { if (voice()) btn.hidden = false; }
  ready();
  speechSynthesis.addEventListener('voiceschanged', ready);
  btn.addEventListener('click', function () {
    if (speechSynthesis.speaking) { speechSynthesis.cancel(); btn.textContent = label; return; }
    var u = new SpeechSynthesisUtterance(body.innerText);
    u.lang = lang; u.voice = voice(); u.rate = 0.9;
    u.onend = function () { btn.textContent = label; };
    speechSynthesis.speak(u);
    btn.textContent = stop;
  });
})();
