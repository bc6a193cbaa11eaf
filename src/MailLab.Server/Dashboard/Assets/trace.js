// The Live trace page: up to 10,000 events of history from /api/trace, then live ones from /api/trace/stream
// (Server-Sent Events). The list is virtualised: only the rows on screen exist in the page, so 10,000 events
// render as fast as 40. Every cell is set with textContent: event text is never parsed as HTML. It asks for
// view=row, the columns it shows (a third of the bytes of whole events, which 50 projector tabs multiply);
// the number of a row links to the whole event as JSON. The stream is asked for at most RATE events a second
// (data-rate, 500 unless the page's URL says rate=N): what a flood sends beyond that arrives as a gap row, whose
// button loads the events it stands for from the history.
(function () {
  'use strict';
  var KEEP = 50000; // events kept in the page; older ones drop off the top
  var container = document.getElementById('trace');
  var form = document.getElementById('filters');
  var statusLine = document.getElementById('status');
  var pauseButton = document.getElementById('pause');
  if (!container || !form || !window.EventSource || !window.fetch) return; // the server-rendered table stays

  var RATE = Number(container.dataset.rate) || 500;
  var events = [], pending = [], incoming = [], flushing = 0, paused = false, source = null, last = 0, loading = 0, failed = null;
  var head = row(['#', 'Time', 'Site', 'Role', 'Session', 'Result', 'Kind', 'Text'], 'row head');
  head.setAttribute('aria-hidden', 'true');
  var viewport = document.createElement('div');
  viewport.className = 'viewport';
  viewport.tabIndex = 0;
  viewport.setAttribute('role', 'log');
  viewport.setAttribute('aria-label', 'Trace events, newest at the bottom; arrow keys and Page Up/Down scroll');
  var spacer = document.createElement('div');
  spacer.className = 'spacer';
  var rows = document.createElement('div');
  rows.className = 'rows';
  spacer.appendChild(rows);
  viewport.appendChild(spacer);

  function row(cells, cls) {
    var r = document.createElement('div');
    r.className = cls || 'row';
    cells.forEach(function (c) { var s = document.createElement('span'); s.textContent = c; r.appendChild(s); });
    return r;
  }

  function rowHeight() {
    var probe = rows.firstChild || head;
    return probe.getBoundingClientRect().height || 24;
  }

  // A reply's or an outcome's result as a symbol and a word (the server-rendered table says the same).
  function outcome(e) {
    if (typeof e.code === 'number') {
      return e.code < 400 ? '✓ ok' : (e.code < 500 ? '✗ temporary' : '✗ refused');
    }
    return /Fail|Reject|Refused|InternalError/.test(e.kind) ? '✗ failed' : '';
  }

  function fill(r, e) {
    var c = r.children;
    c[0].textContent = '';
    r.className = e.gap ? 'row gap' : 'row';
    if (e.gap) { gapRow(r, e); return; }
    var whole = document.createElement('a');
    whole.href = '/api/trace?after=' + (e.seq - 1) + '&limit=1';
    whole.textContent = e.seq;
    whole.title = 'the whole event (JSON)';
    c[0].appendChild(whole);
    c[1].textContent = (e.time || '').substring(11, 23);
    c[2].textContent = e.site;
    c[3].textContent = e.role;
    c[4].textContent = '';
    if (e.session) {
      var a = document.createElement('a');
      a.href = '/sessions/' + encodeURIComponent(e.session);
      a.textContent = e.session;
      c[4].appendChild(a);
    }
    c[5].textContent = outcome(e);
    c[5].className = c[5].textContent.charAt(0) === '✗' ? 'bad' : (c[5].textContent ? 'ok' : '');
    c[6].textContent = e.kind;
    c[7].textContent = e.text;
    r.title = e.text;
    r.dataset.seq = e.seq;
  }

  // A gap: events the stream left out (more than RATE a second), numbered from..to; the button fetches them.
  function gapRow(r, g) {
    var c = r.children;
    for (var i = 1; i < 8; i++) c[i].textContent = '';
    c[0].textContent = '…';
    c[5].textContent = '✂ gap';
    c[6].textContent = 'not shown live';
    var b = document.createElement('button');
    b.type = 'button';
    b.className = 'load-gap';
    b.textContent = 'Show ' + g.skipped + ' events #' + g.from + '–' + g.to + ' (more than ' + RATE + ' a second came)';
    b.addEventListener('click', function () { fillGap(g, b); });
    c[7].appendChild(b);
    r.title = '';
    r.dataset.seq = g.seq;
  }

  function fillGap(g, button) {
    var p = params();
    p.delete('rate');
    p.set('after', String(g.from - 1));
    p.set('limit', String(Math.min(g.skipped, 10000)));
    p.set('view', 'row');
    button.disabled = true;
    fetch('/api/trace?' + p, { headers: { Accept: 'application/json' }, credentials: 'same-origin' })
      .then(function (r) { return r.json().then(function (b) { if (!r.ok) throw new Error(b.error || ('HTTP ' + r.status)); return b; }); })
      .then(function (page) {
        var at = events.indexOf(g);
        if (at < 0) return; // dropped off the top meanwhile
        var got = page.events.filter(function (e) { return e.seq <= g.to; });
        var rest = got.length && got[got.length - 1].seq < g.to ? [{ gap: true, from: got[got.length - 1].seq + 1, to: g.to, seq: g.to, skipped: g.skipped - got.length }] : [];
        Array.prototype.splice.apply(events, [at, 1].concat(got, rest));
        draw();
        show();
      })
      .catch(function (err) { button.disabled = false; failed = err.message; show(); });
  }

  var drawn = false;
  function draw() {
    drawn = false;
    var h = rowHeight();
    spacer.style.height = (events.length * h) + 'px';
    // Clamped: a scroll position left from a longer list (events dropped or spliced) would make count negative,
    // and removing rows below zero throws (removeChild(null)), which the status line showed as the page's error.
    var first = Math.min(events.length, Math.max(0, Math.floor(viewport.scrollTop / h) - 10));
    var count = Math.max(0, Math.min(events.length - first, Math.ceil(viewport.clientHeight / h) + 20));
    while (rows.children.length < count) rows.appendChild(row(['', '', '', '', '', '', '', '']));
    while (rows.children.length > count) rows.removeChild(rows.lastChild);
    for (var i = 0; i < count; i++) fill(rows.children[i], events[first + i]);
    rows.style.transform = 'translateY(' + (first * h) + 'px)';
  }
  function redraw() { if (!drawn) { drawn = true; requestAnimationFrame(draw); } }
  viewport.addEventListener('scroll', redraw);
  window.addEventListener('resize', redraw);
  new MutationObserver(redraw).observe(document.documentElement, { attributes: true, attributeFilter: ['class'] });

  function atBottom() { return viewport.scrollTop + viewport.clientHeight >= viewport.scrollHeight - 2 * rowHeight(); }

  function add(list) {
    var follow = atBottom();
    list.forEach(function (e) {
      if (!events.length || e.seq > events[events.length - 1].seq) { events.push(e); return; }
      // An older event: a session that joined a student's view sends what it said before. Put it in place, once.
      var lo = 0, hi = events.length;
      while (lo < hi) { var mid = (lo + hi) >> 1; if (events[mid].seq < e.seq) lo = mid + 1; else hi = mid; }
      if (events[lo].seq !== e.seq) events.splice(lo, 0, e);
    });
    if (events.length > KEEP) events.splice(0, events.length - KEEP);
    draw();
    if (follow) viewport.scrollTop = viewport.scrollHeight;
    show();
  }

  // Live events are drawn in batches (a flood would otherwise lay out the list once per event); setTimeout, not
  // requestAnimationFrame, so a background tab still drains them.
  function receive(e) {
    incoming.push(e);
    if (!flushing) flushing = setTimeout(function () {
      flushing = 0;
      var batch = incoming;
      incoming = [];
      if (paused) Array.prototype.push.apply(pending, batch); else add(batch);
      show();
    }, 50);
  }

  function show() {
    if (failed) { statusLine.textContent = '✗ ' + failed; return; }
    var gaps = events.filter(function (e) { return e.gap; }).length;
    var text = events.length - gaps + ' events' + (gaps ? ' · ' + gaps + (gaps === 1 ? ' gap' : ' gaps') : '');
    if (paused) text = 'Paused · ' + text + ' · ' + pending.length + ' new waiting';
    else text = (source && source.readyState === 1 ? 'Live · ' : 'Connecting · ') + text;
    statusLine.textContent = text;
  }

  function params() {
    var p = new URLSearchParams();
    new FormData(form).forEach(function (v, k) { if (v !== '') p.set(k, v); });
    return p;
  }

  function load() {
    if (source) { source.close(); source = null; }
    var p = params(), mine = ++loading;
    history.replaceState(null, '', '/trace' + (p.toString() ? '?' + p : ''));
    p.delete('rate'); // the history has no rate: it pages with limit
    p.set('limit', '10000');
    p.set('view', 'row');
    failed = null;
    statusLine.textContent = 'Loading…';
    var t0 = performance.now();
    fetch('/api/trace?' + p, { headers: { Accept: 'application/json' }, credentials: 'same-origin' })
      .then(function (r) { return r.json().then(function (b) { if (!r.ok) throw new Error(b.error || ('HTTP ' + r.status)); return b; }); })
      .then(function (page) {
        if (mine !== loading) return;
        events = page.events;
        pending = [];
        last = page.last;
        if (!container.contains(viewport)) { container.textContent = ''; container.appendChild(head); container.appendChild(viewport); }
        draw();
        viewport.scrollTop = viewport.scrollHeight;
        draw();
        container.dataset.renderMs = String(Math.round(performance.now() - t0));
        container.dataset.loaded = String(events.length);
        connect(p);
        show();
      })
      .catch(function (err) { failed = err.message; show(); });
  }

  function connect(p) {
    p.delete('limit');
    p.set('after', String(last));
    p.set('rate', String(RATE));
    source = new EventSource('/api/trace/stream?' + p);
    source.addEventListener('open', show);
    source.addEventListener('error', function () { show(); }); // EventSource reconnects itself, sending Last-Event-ID
    source.addEventListener('trace', function (m) { receive(JSON.parse(m.data)); });
    source.addEventListener('gap', function (m) {
      var g = JSON.parse(m.data);
      g.gap = true;
      g.seq = g.to;
      receive(g);
    });
  }

  pauseButton.hidden = false;
  pauseButton.addEventListener('click', function () {
    paused = !paused;
    pauseButton.setAttribute('aria-pressed', paused ? 'true' : 'false');
    pauseButton.textContent = paused ? 'Resume' : 'Pause';
    if (!paused) { var waiting = pending; pending = []; add(waiting); }
    show();
  });
  form.addEventListener('submit', function (ev) { ev.preventDefault(); load(); });
  var typing = 0;
  form.elements.q.addEventListener('input', function () { clearTimeout(typing); typing = setTimeout(load, 300); });
  Array.prototype.forEach.call(form.querySelectorAll('select'), function (s) { s.addEventListener('change', load); });
  load();
})();
