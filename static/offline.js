// Offline use, as an enhancement: every page works without this script. On every page it
// registers the service worker (static/sw.js) and sends quiz answers that were given with
// no connection. A course page can save the course for offline study; the catalogue and the
// offline page list saved courses; a lesson's quiz answers are queued when there is no
// connection (the page holds no right answers: only the server grades). Texts come from data- attributes the server wrote
// in the page's language. See docs/OFFLINE.md.
(function () {
  'use strict';
  var QUEUE = 'cunlu-quiz-queue'; // localStorage: answers waiting to be sent
  var COURSE_CACHE = 'cunlu-course-';
  var user = document.body.getAttribute('data-user') || '';
  var canSave = 'serviceWorker' in navigator && 'caches' in window && window.fetch;

  function byId(id) { return document.getElementById(id); }
  function fill(text, values) {
    return (text || '').replace(/\{(\w+)\}/g, function (m, k) { return k in values ? values[k] : m; });
  }
  function make(tag, text, cls) {
    var e = document.createElement(tag);
    if (text) e.textContent = text;
    if (cls) e.className = cls;
    return e;
  }
  function day(ms) {
    var d = new Date(ms);
    return d.getFullYear() + '-' + ('0' + (d.getMonth() + 1)).slice(-2) + '-' + ('0' + d.getDate()).slice(-2);
  }

  if (canSave) {
    window.addEventListener('load', function () {
      navigator.serviceWorker.register('/sw.js').catch(function () {});
    });
  }

  // ---- Quiz answers given offline ----

  function queue() {
    try { return JSON.parse(localStorage.getItem(QUEUE)) || []; } catch (e) { return []; }
  }
  function saveQueue(q) {
    try { localStorage.setItem(QUEUE, JSON.stringify(q)); return true; } catch (e) { return false; }
  }
  function unqueue(id) {
    saveQueue(queue().filter(function (it) { return it.id !== id; }));
  }
  // newKey is a fresh idempotency key for answers kept in the page: the page's key (which
  // sets the order of the options on the page, so the feedback shows them in the order
  // they were answered in), "-" and 16 random hex digits.
  function newKey(like) {
    var b = new Uint8Array(8), s = '';
    crypto.getRandomValues(b);
    for (var i = 0; i < b.length; i++) s += ('0' + b[i].toString(16)).slice(-2);
    return like ? like.split('-')[0] + '-' + s : s + s;
  }
  function token() {
    var t = document.querySelector('input[name=_csrf]');
    return t ? t.value : '';
  }
  function post(item, csrf) {
    var body = new URLSearchParams();
    item.fields.forEach(function (f) { body.append(f[0], f[0] === '_csrf' && csrf ? csrf : f[1]); });
    return fetch(item.action, {
      method: 'POST', body: body, credentials: 'same-origin', redirect: 'manual',
      headers: { 'Accept': 'application/json' }
    });
  }
  // freshToken reads the CSRF token from a page just loaded, for answers kept so long that
  // the browser's CSRF cookie has changed.
  function freshToken() {
    return fetch(location.pathname, { credentials: 'same-origin', cache: 'no-store' }).then(function (res) {
      return res.text();
    }).then(function (html) {
      var m = /name="_csrf" value="([^"]+)"/.exec(html);
      return m ? m[1] : '';
    });
  }

  var box = byId('sync-queue');
  var syncing = false;
  var why = ''; // why the last send stopped, when the server said

  function say(text) {
    var s = byId('sync-status');
    if (s) s.textContent = text || '';
  }

  function showQueue() {
    if (!box) return;
    var list = box.querySelector('ul.waiting');
    list.textContent = '';
    queue().forEach(function (it) {
      if (it.user !== user) return;
      list.appendChild(make('li', fill(box.getAttribute('data-item'), { title: it.title }), 'waiting'));
    });
    box.hidden = !list.children.length && !box.querySelector('ul.sent li');
  }

  function sent(item, text, url) {
    if (!box) return;
    var li = make('li', fill(box.getAttribute('data-sent'), { title: item.title, result: text }) + ' ', 'sent');
    if (url) {
      var a = make('a', box.getAttribute('data-see'));
      a.href = url;
      li.appendChild(a);
    }
    box.querySelector('ul.sent').appendChild(li);
  }

  // sendOne sends one queued attempt. It resolves true when the server took it (or turned
  // it down for good), false when it should be tried again later.
  function sendOne(item, csrf, retried) {
    return post(item, csrf).then(function (res) {
      if (res.ok) {
        return res.json().then(function (d) {
          unqueue(item.id);
          sent(item, d.text, d.url);
          var here = byId('offline-result');
          if (here && here.getAttribute('data-id') === item.id) here.hidden = true;
          return true;
        });
      }
      if (res.status === 403 && !retried) {
        return freshToken().then(function (t) { return t ? sendOne(item, t, true) : false; });
      }
      if (res.status === 401) {
        why = box && box.getAttribute('data-signin');
        return false;
      }
      if (res.status >= 400 && res.status < 500 && res.status !== 403 && res.status !== 408 && res.status !== 429) {
        // The server will never take these answers (the quiz changed, the lesson is locked):
        // say so and drop them, rather than send them forever.
        return res.json().catch(function () { return {}; }).then(function (d) {
          unqueue(item.id);
          if (box) box.querySelector('ul.sent').appendChild(make('li',
            fill(box.getAttribute('data-rejected'), { title: item.title, reason: d.error || res.status }), 'rejected'));
          return true;
        });
      }
      return false;
    }, function () { return false; });
  }

  // sync sends this person's queued answers, one after another. The server records each
  // key once, so sending one twice (two tabs, a lost reply) still makes one attempt.
  function sync() {
    if (syncing || !user || !window.fetch || navigator.onLine === false) return;
    var mine = queue().filter(function (it) { return it.user === user; });
    if (!mine.length) return;
    syncing = true;
    why = '';
    say(box && box.getAttribute('data-sending'));
    var ok = true;
    var next = Promise.resolve(true);
    mine.forEach(function (item) {
      next = next.then(function (go) {
        if (!go) { ok = false; return false; }
        return sendOne(item, token(), false).catch(function () { return false; });
      });
    });
    next.then(function (last) {
      syncing = false;
      say(ok && last ? '' : why || (box && box.getAttribute('data-later')));
      showQueue();
    });
  }

  // The quiz: answers go to the server with fetch; when there is no connection they are
  // kept and sent later, and the server grades them then.
  var form = document.querySelector('form.quiz');
  if (form && window.fetch && window.localStorage && window.crypto && crypto.getRandomValues) {
    form.addEventListener('submit', function (e) {
      e.preventDefault();
      if (unanswered()) return;
      var fields = [];
      new FormData(form).forEach(function (v, k) { fields.push([k, String(v)]); });
      var button = form.querySelector('button[type=submit]');
      if (navigator.onLine === false) { keep(fields, false); return; }
      if (button) button.disabled = true;
      var ctl = window.AbortController ? new AbortController() : null;
      var timer = ctl && setTimeout(function () { ctl.abort(); }, 30000);
      var body = new URLSearchParams();
      fields.forEach(function (f) { body.append(f[0], f[1]); });
      fetch(form.getAttribute('action'), {
        method: 'POST', body: body, credentials: 'same-origin', redirect: 'manual',
        headers: { 'Accept': 'application/json' }, signal: ctl ? ctl.signal : undefined
      }).then(function (res) {
        clearTimeout(timer);
        if (!res.ok) throw res;
        return res.json().then(function (d) { location.assign(d.url); });
      }).catch(function (err) {
        clearTimeout(timer);
        if (button) button.disabled = false;
        // No answer at all: no connection. An answer that is not the grade (a form
        // mistake, a locked lesson): send the form itself, so the server shows its page.
        if (err instanceof Response) form.submit();
        else keep(fields, true);
      });
    });
  }

  function resultBox() {
    var result = byId('offline-result');
    if (!result) {
      result = make('div', '', 'notice');
      result.id = 'offline-result';
      result.setAttribute('role', 'status');
      form.parentNode.insertBefore(result, form);
    }
    result.textContent = '';
    result.hidden = false;
    return result;
  }

  // unanswered names the first question without an answer and takes the learner to it (a
  // question of several answers has no "required" the browser could check).
  function unanswered() {
    var sets = form.querySelectorAll('fieldset.question');
    var old = form.querySelector('.js-missing');
    if (old) old.parentNode.removeChild(old);
    for (var i = 0; i < sets.length; i++) {
      if (!sets[i].querySelector('input:checked')) {
        var say = make('p', fill(form.getAttribute('data-unanswered'), { n: i + 1 }), 'field-error js-missing');
        say.setAttribute('role', 'alert');
        sets[i].insertBefore(say, sets[i].querySelector('legend').nextSibling);
        sets[i].scrollIntoView();
        var first = sets[i].querySelector('input');
        if (first) first.focus();
        return true;
      }
    }
    return false;
  }

  // keep queues the answers. Answers that may have reached the server (the connection broke
  // while sending) keep their key, so the server counts them once whatever happened; answers
  // never sent get a fresh key, their own attempt.
  function keep(fields, maybeSent) {
    var result = resultBox();
    var keyField = form.querySelector('input[name=key]');
    var item = {
      id: maybeSent ? keyField.value : newKey(keyField.value), user: form.querySelector('input[name=learner]').value, action: form.getAttribute('action'),
      title: (document.querySelector('#lesson h1') || document).textContent, at: Date.now(), fields: []
    };
    fields.forEach(function (f) { item.fields.push([f[0], f[0] === 'key' ? item.id : f[1]]); });
    var q = queue();
    q.push(item);
    saveQueue(q);
    keyField.value = newKey(keyField.value); // answering again on this page is another attempt
    result.setAttribute('data-id', item.id);
    result.appendChild(make('p', form.getAttribute('data-queued')));
    result.scrollIntoView();
    showQueue();
  }

  showQueue();
  sync();
  window.addEventListener('online', sync);
  setInterval(sync, 60000); // "online" is not always told; try again now and then

  // ---- Saving courses for offline study ----

  function savedCourses() {
    return caches.keys().then(function (keys) {
      return Promise.all(keys.filter(function (k) { return k.indexOf(COURSE_CACHE) === 0; }).map(function (k) {
        return caches.open(k).then(function (c) {
          return c.match('/courses/' + k.slice(COURSE_CACHE.length) + '/offline.json');
        }).then(function (res) { return res ? res.json() : null; });
      }));
    }).then(function (list) { return list.filter(Boolean); });
  }

  var saved = byId('offline-saved');
  if (saved && canSave) {
    savedCourses().then(function (list) {
      var ul = saved.querySelector('ul');
      list.forEach(function (p) {
        var li = make('li');
        var a = make('a', p.title);
        a.href = '/courses/' + p.course;
        li.appendChild(a);
        li.appendChild(make('span', ' · ' + fill(saved.getAttribute('data-item'), { kb: Math.ceil(p.bytes / 1024), date: day(p.savedAt) }), 'muted small'));
        ul.appendChild(li);
      });
      saved.hidden = !list.length;
      var none = byId('offline-none');
      if (none) none.hidden = list.length > 0;
    }).catch(function () {});
  }

  var save = byId('offline-save');
  if (save && canSave) {
    var slug = save.getAttribute('data-course');
    var name = COURSE_CACHE + slug;
    var pack = save.getAttribute('data-pack');
    var button = byId('offline-save-button');
    var remove = byId('offline-remove');
    var status = byId('offline-save-status');
    // "Include the recordings" (only where the county has some) adds them and their size.
    var audio = byId('offline-audio');
    var label = button.textContent, isSaved = false;
    var labels = function () {
      var el = audio && audio.checked ? audio : save;
      button.textContent = isSaved ? el.getAttribute('data-update') : audio && audio.checked ? audio.getAttribute('data-save') : label;
    };
    var show = function (p) {
      isSaved = !!p;
      if (p) {
        status.textContent = fill(save.getAttribute('data-saved'), { date: day(p.savedAt) });
        if (audio) audio.checked = !!(p.audio && p.audio.length);
      }
      labels();
      remove.hidden = !p;
      button.disabled = false;
    };
    if (audio) audio.addEventListener('change', labels);
    save.hidden = false;
    caches.open(name).then(function (c) { return c.match(pack); }).then(function (res) {
      return res ? res.json() : null;
    }).then(show).catch(function () {});

    button.addEventListener('click', function () {
      button.disabled = true;
      fetch(pack + (audio && audio.checked ? '?audio=1' : ''), { credentials: 'same-origin', headers: { 'Accept': 'application/json' } }).then(function (res) {
        if (!res.ok) throw new Error('pack ' + res.status);
        return res.json();
      }).then(function (p) {
        var urls = p.pages.concat(p.images, p.assets, p.audio || []), done = 0;
        status.textContent = fill(save.getAttribute('data-saving'), { done: 0, total: urls.length });
        // Download everything first, then replace the saved copy: a download that fails
        // half way leaves the old copy as it was.
        return Promise.all(urls.map(function (u) {
          return fetch(u, { credentials: 'same-origin', headers: { 'Purpose': 'prefetch' } }).then(function (res) {
            if (!res.ok) throw new Error(u + ' ' + res.status);
            status.textContent = fill(save.getAttribute('data-saving'), { done: ++done, total: urls.length });
            return [u, res];
          });
        })).then(function (got) {
          return caches.delete(name).then(function () { return caches.open(name); }).then(function (c) {
            p.savedAt = Date.now();
            got.push([pack, new Response(JSON.stringify(p), { headers: { 'Content-Type': 'application/json' } })]);
            return Promise.all(got.map(function (g) { return c.put(g[0], g[1]); }));
          });
        }).then(function () { show(p); });
      }).catch(function () {
        status.textContent = save.getAttribute('data-failed');
        button.disabled = false;
      });
    });

    remove.addEventListener('click', function () {
      caches.delete(name).then(function () {
        show(null);
        status.textContent = save.getAttribute('data-removed');
      });
    });
  }
})();
