// Read-aloud: reads the lesson with the browser's own speech synthesis, for people who read
// little. The button shows when the browser has a voice for the page's language; where it
// has none (WeChat on Android often has no speech at all), the note beside it says so and
// offers the lesson's recording, when its county has one.
(function () {
  var btn = document.getElementById('read-aloud');
  var body = document.getElementById('lesson-body');
  var note = document.getElementById('no-voice');
  var play = document.getElementById('play-audio');
  // A recording made on another kind of phone may be in a format this one cannot play
  // (WebM on an older iPhone): say so rather than show a player that stays silent.
  var player = document.querySelector('#lesson-audio audio');
  if (player && player.canPlayType && player.canPlayType(player.getAttribute('data-type')) === '') {
    var why = document.getElementById('audio-unplayable');
    if (why) why.hidden = false;
  }
  if (play) {
    play.addEventListener('click', function () {
      var a = document.querySelector('#lesson-audio audio');
      if (a && a.play) { var p = a.play(); if (p && p.catch) p.catch(function () {}); }
    });
  }
  if (!btn || !body) return;
  function noVoice(yes) {
    btn.hidden = yes;
    if (note) note.hidden = !yes;
  }
  if (!window.speechSynthesis || !window.SpeechSynthesisUtterance) { noVoice(true); return; }
  var lang = btn.getAttribute('data-lang');
  var label = btn.textContent, stop = btn.getAttribute('data-stop');
  function voice() {
    var vs = speechSynthesis.getVoices() || [], prefix = lang.slice(0, 2);
    for (var i = 0; i < vs.length; i++) if (vs[i].lang.replace('_', '-').indexOf(lang) === 0) return vs[i];
    for (var j = 0; j < vs.length; j++) if (vs[j].lang.indexOf(prefix) === 0) return vs[j];
    return null;
  }
  // Voices often arrive a moment after the page (voiceschanged); some browsers never say.
  // Without one by then, the phone has none for this language.
  var waited = false;
  function ready() { if (voice()) noVoice(false); else if (waited) noVoice(true); }
  ready();
  if (speechSynthesis.addEventListener) speechSynthesis.addEventListener('voiceschanged', ready);
  setTimeout(function () { waited = true; ready(); }, 1500);
  btn.addEventListener('click', function () {
    if (speechSynthesis.speaking) { speechSynthesis.cancel(); btn.textContent = label; return; }
    var u = new SpeechSynthesisUtterance(body.innerText);
    u.lang = lang; u.voice = voice(); u.rate = 0.9;
    u.onend = function () { btn.textContent = label; };
    speechSynthesis.speak(u);
    btn.textContent = stop;
  });
})();
