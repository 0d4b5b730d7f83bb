// Cunlu's service worker: it keeps the app shell (stylesheet, scripts, icon, the offline
// page) and the courses a learner saved (static/offline.js), so saved lessons open with no
// connection. Pages: the network first, the saved copy when the network fails (or takes
// too long, when there is a saved copy). Hashed static files, lesson images and lessons'
// recordings: the saved copy first; they never change. Served at /sw.js by app/web/offline.go, which fills in
// VERSION and SHELL. See docs/OFFLINE.md.
'use strict';

var VERSION = /*VERSION*/"dev";
var SHELL = /*ASSETS*/[];
var SHELL_CACHE = 'cunlu-shell-' + VERSION;
var COURSE_CACHE = 'cunlu-course-'; // + the course slug
var OFFLINE_PAGE = '/offline';
var SLOW_MS = 6000; // wait this long for the network before showing a saved page instead
var ANY = { ignoreVary: true };

self.addEventListener('install', function (event) {
  event.waitUntil(caches.open(SHELL_CACHE).then(function (cache) {
    return cache.addAll(SHELL.concat(OFFLINE_PAGE));
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener('activate', function (event) {
  event.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (k) {
      return k.indexOf('cunlu-shell-') === 0 && k !== SHELL_CACHE;
    }).map(function (k) { return caches.delete(k); }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener('fetch', function (event) {
  var req = event.request;
  if (req.method !== 'GET') return; // answers and forms always go to the server
  var url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  if (req.mode === 'navigate') {
    event.respondWith(page(event, req, url));
  } else if (url.pathname.indexOf('/static/') === 0 || /^\/courses\/[^/]+\/images\//.test(url.pathname)) {
    event.respondWith(caches.match(req, ANY).then(function (hit) { return hit || fetch(req); }));
  } else if (/^\/courses\/[^/]+\/[^/]+\/audio\/\d+$/.test(url.pathname)) {
    // A lesson's recording, saved with the course when the learner chose to: a new
    // recording has a new address, so the saved copy is current while the page links it.
    event.respondWith(caches.match(url.href, ANY).then(function (hit) {
      return hit ? ranged(req, hit) : fetch(req);
    }));
  }
});

// ranged answers a player's range request ("bytes=0-", "bytes=1000-1999") from a saved
// recording, which the cache keeps whole.
function ranged(req, res) {
  var m = /^bytes=(\d+)-(\d*)$/.exec(req.headers.get('Range') || '');
  if (!m) return res;
  return res.arrayBuffer().then(function (buf) {
    var start = +m[1], end = m[2] ? Math.min(+m[2], buf.byteLength - 1) : buf.byteLength - 1;
    if (start > end) return new Response(null, { status: 416, headers: { 'Content-Range': 'bytes */' + buf.byteLength } });
    return new Response(buf.slice(start, end + 1), { status: 206, headers: {
      'Content-Type': res.headers.get('Content-Type') || 'audio/webm',
      'Content-Range': 'bytes ' + start + '-' + end + '/' + buf.byteLength,
      'Content-Length': String(end - start + 1)
    } });
  });
}

function page(event, req, url) {
  var network = fetch(req).then(function (res) {
    if (res.ok && res.type === 'basic') event.waitUntil(keepFresh(url.href, res.clone()));
    return res;
  });
  return caches.match(url.href, ANY).then(function (copy) {
    if (!copy) return network.catch(function () { return fallback(url); });
    return new Promise(function (resolve) {
      var slow = setTimeout(function () { resolve(copy); }, SLOW_MS);
      network.then(function (res) { clearTimeout(slow); resolve(res); },
        function () { clearTimeout(slow); resolve(copy); });
    });
  });
}

// fallback is what an unreachable page shows: the saved lesson without its query (after a
// quiz, ?attempt=…), else the offline page with the list of saved courses.
function fallback(url) {
  return caches.match(url.origin + url.pathname, ANY).then(function (hit) {
    return hit || caches.match(OFFLINE_PAGE, ANY);
  }).then(function (res) { return res || Response.error(); });
}

// keepFresh replaces a saved page with the one just loaded, so a saved course follows the
// learner's progress.
function keepFresh(href, res) {
  return caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (k) { return k.indexOf(COURSE_CACHE) === 0; }).map(function (k) {
      return caches.open(k).then(function (cache) {
        return cache.match(href, ANY).then(function (hit) { return hit && cache.put(href, res.clone()); });
      });
    }));
  });
}
