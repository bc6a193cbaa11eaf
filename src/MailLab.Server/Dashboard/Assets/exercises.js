// MailLab dashboard, Exercises: re-reads the grid (or a student's progress) every 2 s and redraws what changed;
// a cell with evidence opens it in place. Without this script the page is the server's, and links open the evidence page.
(function () {
  'use strict';
  var every = 2000;

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  // "✓ met" / "✗ not yet": never colour alone (DashboardPages.Mark draws the same).
  function mark(ok, word) {
    var s = el('span', ok ? 'ok' : 'bad');
    var sym = el('span', null, ok ? '✓' : '✗');
    sym.setAttribute('aria-hidden', 'true');
    s.appendChild(sym);
    s.appendChild(document.createTextNode(' ' + word));
    return s;
  }

  function evidenceUrl(exercise, student, objective) {
    return '/exercises/' + exercise + '/evidence?student=' + encodeURIComponent(student) + '&objective=' + encodeURIComponent(objective);
  }

  // One cell as ExercisePages.Cell draws it.
  function fillCell(td, exercise, student, c) {
    td.textContent = '';
    var holder = td;
    if (c.evidence > 0) {
      holder = el('a', 'cell');
      holder.href = evidenceUrl(exercise, student, c.objective);
      td.appendChild(holder);
    }
    holder.appendChild(mark(c.met, c.met ? 'met' : 'not yet'));
    if (c.met) holder.appendChild(el('span', 'count', ' (' + c.evidence + ')'));
    else if (c.evidence > 0) holder.appendChild(el('span', 'count', ' (' + c.evidence + ' of ' + c.patterns + ')'));
  }

  function status(text) {
    var s = document.getElementById('live-status');
    if (s) s.textContent = text;
  }

  function clock() { return new Date().toISOString().substring(11, 19) + ' UTC'; }

  function poll(node, apply) {
    var last = node.getAttribute('data-seq');
    var busy = false;
    function tick() {
      if (busy) return;
      busy = true;
      fetch(node.getAttribute('data-api'), { headers: { Accept: 'application/json' }, cache: 'no-store' })
        .then(function (r) { if (!r.ok) throw new Error('HTTP ' + r.status); return r.json(); })
        .then(function (data) {
          if (String(data.lastSeq) !== last) { apply(data); last = String(data.lastSeq); node.setAttribute('data-seq', last); }
          status('Live · ' + (data.met !== undefined ? data.met + ' of ' + data.objectives.length + ' objectives met · ' : '') + 'judged up to event ' + data.lastSeq + ' · checked ' + clock());
        })
        .catch(function (e) { status('Not updating (' + e.message + '); retrying every 2 s.'); })
        .then(function () { busy = false; });
    }
    setInterval(tick, every);
    tick();
  }

  function applyGrid(table, grid) {
    var body = table.tBodies[0];
    var rows = {};
    Array.prototype.forEach.call(body.rows, function (tr) { rows[tr.getAttribute('data-student')] = tr; });
    grid.students.forEach(function (row) {
      var tr = rows[row.student];
      if (!tr) {
        // A new client address: a new row at the end, in the server's order on the next reload.
        tr = el('tr');
        tr.setAttribute('data-student', row.student);
        var th = el('th', null, row.student + ' ');
        th.scope = 'row';
        if (row.kind === 'ip') th.appendChild(el('span', 'kind', '(IP address)'));
        tr.appendChild(th);
        row.cells.forEach(function (c) { var td = el('td'); td.setAttribute('data-objective', c.objective); tr.appendChild(td); });
        tr.appendChild(el('td', 'num total'));
        body.appendChild(tr);
      }
      row.cells.forEach(function (c, i) { fillCell(tr.cells[i + 1], grid.exercise, row.student, c); });
      tr.cells[tr.cells.length - 1].textContent = row.met + ' of ' + row.cells.length;
    });
  }

  function eventItem(e) {
    var li = el('li');
    li.appendChild(el('span', 'num', '#' + e.seq));
    li.appendChild(document.createTextNode(' ' + (e.time || '').substring(11, 19) + ' ' + e.site + ' ' + e.role + ' '));
    if (e.sessionUrl) { var s = el('a', null, 'session ' + e.session); s.href = e.sessionUrl; li.appendChild(s); li.appendChild(document.createTextNode(' ')); }
    li.appendChild(el('strong', null, e.kind));
    if (e.journeyUrl) { li.appendChild(document.createTextNode(' ')); var j = el('a', null, 'message ' + e.message); j.href = e.journeyUrl; li.appendChild(j); }
    li.appendChild(document.createTextNode(': '));
    li.appendChild(el('span', 'text', e.text));
    return li;
  }

  // One objective with its evidence, as ExercisePages.Objective draws it.
  function objective(section, v) {
    section.textContent = '';
    var h = el('h2');
    h.appendChild(el('code', null, v.id));
    h.appendChild(document.createTextNode(' '));
    h.appendChild(mark(v.met, v.met ? 'met' : 'not yet'));
    section.appendChild(h);
    section.appendChild(el('p', null, v.description));
    if (v.evidence.length > 0) {
      section.appendChild(el('p', null, (v.met ? 'Evidence' : 'So far') + ' (' + v.evidence.length + ' of ' + v.patterns + ' events):'));
      var ol = el('ol', 'evidence');
      v.evidence.forEach(function (e) { ol.appendChild(eventItem(e)); });
      section.appendChild(ol);
    }
    if (v.missing) { var p = el('p', 'missing', 'Missing: '); p.appendChild(el('code', null, v.missing)); section.appendChild(p); }
  }

  function openEvidence(link, panel) {
    fetch('/api' + link.getAttribute('href'), { headers: { Accept: 'application/json' }, cache: 'no-store' })
      .then(function (r) { if (!r.ok) throw new Error('HTTP ' + r.status); return r.json(); })
      .then(function (data) {
        panel.textContent = '';
        var head = el('h2', null, 'Evidence for ' + data.student);
        head.tabIndex = -1;
        panel.appendChild(head);
        var section = el('section', 'objective');
        section.setAttribute('data-objective', data.objective.id);
        objective(section, data.objective);
        panel.appendChild(section);
        var close = el('button', null, 'Close');
        close.type = 'button';
        close.addEventListener('click', function () { panel.hidden = true; link.focus(); });
        panel.appendChild(close);
        panel.hidden = false;
        head.focus();
      })
      .catch(function (e) { panel.hidden = false; panel.textContent = 'Could not read the evidence (' + e.message + ').'; });
  }

  document.addEventListener('DOMContentLoaded', function () {
    var table = document.getElementById('grid');
    if (table) {
      var panel = document.getElementById('evidence');
      table.addEventListener('click', function (ev) {
        var a = ev.target.closest ? ev.target.closest('a.cell') : null;
        if (!a || !panel) return;
        ev.preventDefault();
        openEvidence(a, panel);
      });
      poll(table, function (grid) { applyGrid(table, grid); });
    }
    var progress = document.getElementById('progress');
    if (progress) {
      poll(progress, function (p) {
        p.objectives.forEach(function (v) {
          var section = progress.querySelector('section[data-objective="' + CSS.escape(v.id) + '"]');
          if (section) objective(section, v);
        });
      });
    }
  });
})();
