// Recording a lesson in the page, for its partners and coordinators (only their lesson
// pages load this). The microphone is recorded with MediaRecorder, compressed (Opus in
// WebM where the browser can, AAC in MP4 on iPhones) at 24 kbit/s, and sent with the
// upload form's fields. Where the browser cannot record (no MediaRecorder, as in WeChat on
// some phones, or no microphone), it says so and the plain file upload below stays the way
// that works; without JavaScript that form is all there is.
(function () {
  'use strict';
  var box = document.getElementById('recorder');
  var form = document.getElementById('audio-upload');
  if (!box || !form) return;
  var max = +box.getAttribute('data-max'), seconds = +box.getAttribute('data-seconds');
  var start = document.getElementById('rec-start'), stop = document.getElementById('rec-stop');
  var save = document.getElementById('rec-save'), status = document.getElementById('rec-status');
  function show(id) { var e = document.getElementById(id); if (e) e.hidden = false; }
  function fill(attr, t) { return (box.getAttribute(attr) || '').replace('{time}', t); }
  function clock(s) { return Math.floor(s / 60) + ':' + ('0' + (s % 60)).slice(-2); }

  // A file chosen in the form is checked for size here too, so a long phone recording is
  // refused before it is sent over a slow connection.
  var tooBig = document.getElementById('audio-too-big');
  form.addEventListener('submit', function (e) {
    var f = form.querySelector('input[type=file]');
    var big = !!(f && f.files && f.files[0] && f.files[0].size > max);
    if (tooBig) tooBig.hidden = !big;
    if (big) e.preventDefault();
  });

  var md = navigator.mediaDevices;
  if (!window.MediaRecorder || !md || !md.getUserMedia || !window.FormData || !window.fetch) {
    show('no-recorder');
    return;
  }
  var type = '';
  // AAC in MP4 first where the browser records it: every phone plays it. Then Opus in WebM
  // (Android), which older iPhones cannot play (the page says so there).
  ['audio/mp4;codecs=mp4a.40.2', 'audio/webm;codecs=opus', 'audio/mp4', 'audio/ogg;codecs=opus', 'audio/webm'].some(function (t) {
    if (MediaRecorder.isTypeSupported && MediaRecorder.isTypeSupported(t)) { type = t; return true; }
    return false;
  });
  box.hidden = false;
  var rec = null, chunks = [], size = 0, blob = null, timer = null, began = 0;

  function elapsed() { return Math.round((Date.now() - began) / 1000); }
  function finish() { if (rec && rec.state !== 'inactive') rec.stop(); }

  start.addEventListener('click', function () {
    start.disabled = true;
    md.getUserMedia({ audio: true }).then(function (stream) {
      var opts = { audioBitsPerSecond: 24000 };
      if (type) opts.mimeType = type;
      try { rec = new MediaRecorder(stream, opts); } catch (e) { rec = new MediaRecorder(stream); }
      chunks = []; size = 0; blob = null;
      rec.ondataavailable = function (e) {
        if (!e.data || !e.data.size) return;
        chunks.push(e.data);
        size += e.data.size;
        if (size > max * 0.95) finish(); // keep under the limit whatever the bitrate
      };
      rec.onstop = function () {
        clearInterval(timer);
        stream.getTracks().forEach(function (t) { t.stop(); });
        blob = new Blob(chunks, { type: (rec.mimeType || type || 'audio/webm').split(';')[0] });
        stop.hidden = true;
        start.hidden = false;
        start.disabled = false;
        if (blob.size > max) { status.textContent = box.getAttribute('data-too-big'); return; }
        status.textContent = fill('data-done', clock(elapsed()));
        save.hidden = false;
      };
      began = Date.now();
      rec.start(1000);
      start.hidden = true;
      save.hidden = true;
      stop.hidden = false;
      stop.focus();
      status.textContent = fill('data-recording', clock(0));
      timer = setInterval(function () {
        var s = elapsed();
        status.textContent = fill('data-recording', clock(s));
        if (s >= seconds) finish();
      }, 1000);
    }).catch(function () {
      start.disabled = false;
      box.hidden = true;
      show('no-mic');
    });
  });
  stop.addEventListener('click', finish);

  save.addEventListener('click', function () {
    if (!blob) return;
    save.disabled = true;
    status.textContent = box.getAttribute('data-saving');
    var data = new FormData();
    data.append('_csrf', form.querySelector('input[name=_csrf]').value);
    data.append('lang', form.querySelector('input[name=lang]').value);
    var ext = /mp4/.test(blob.type) ? 'm4a' : /ogg/.test(blob.type) ? 'ogg' : 'webm';
    data.append('audio', blob, 'lesson.' + ext);
    fetch(form.getAttribute('action'), {
      method: 'POST', body: data, credentials: 'same-origin', headers: { 'Accept': 'application/json' }
    }).then(function (res) {
      return res.json().catch(function () { return {}; }).then(function (d) {
        if (!res.ok || !d.url) throw new Error(d.error || '');
        location.assign(d.url);
        location.reload();
      });
    }).catch(function (err) {
      save.disabled = false;
      status.textContent = (err && err.message) || box.getAttribute('data-failed');
    });
  });
})();
