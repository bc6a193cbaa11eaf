// MailLab dashboard, DMARC reports: draws pass and fail per source IP over time with uPlot (vendored, MIT) from
// /api/reports/dmarc/series. The page's table has the same numbers; without this script nothing is lost.
(function () {
  'use strict';
  // Distinct hues; pass and fail of one source share a hue and differ by line style and label, never colour alone.
  var hues = ['#003c8f', '#8a0000', '#05520f', '#6b4b00', '#5b2a86', '#00606b', '#a33b00', '#333333', '#7a1f5c', '#2f4f00', '#555555'];
  // Grouped bars: in each time bucket one bar per source and result, side by side (uPlot's bar paths, placed by disp.x0).
  function bars(s, k, n) {
    var w = 0.8 * s.bucket / n;
    return uPlot.paths.bars({ disp: {
      x0: { unit: 1, values: function (u) { return u.data[0].map(function (t) { return t + 0.1 * s.bucket + k * w; }); } },
      size: { unit: 1, values: function () { return [w]; } },
    } });
  }
  function stamp(t) { return new Date(t * 1e3).toISOString().slice(0, 16).replace('T', ' '); }
  function draw(box, s) {
    box.textContent = '';
    if (!s.times.length) { box.dataset.series = '0'; box.textContent = 'No aggregate report data yet.'; return; }
    var data = [s.times];
    var series = [{ label: 'Hour (UTC)' }];
    var n = 2 * s.sources.length;
    s.sources.forEach(function (src, i) {
      var colour = hues[i % hues.length];
      data.push(src.pass);
      series.push({ label: src.sourceIp + ' pass', stroke: colour, fill: colour, width: 2, paths: bars(s, 2 * i, n), points: { show: false } });
      data.push(src.fail);
      // A failure is an outlined bar with a light fill: told apart from a pass by shape and label as well as shade.
      series.push({ label: src.sourceIp + ' fail', stroke: colour, fill: colour + '33', width: 2, dash: [6, 4], paths: bars(s, 2 * i + 1, n), points: { show: false } });
    });
    var most = Math.max.apply(null, s.sources.map(function (src) { return Math.max.apply(null, src.pass.concat(src.fail)); }));
    var opts = {
      width: Math.max(320, Math.min(box.clientWidth || 800, 960)), height: 320, series: series,
      tzDate: function (ts) { return uPlot.tzDate(new Date(ts * 1e3), 'Etc/UTC'); },
      // Ticks at bucket starts only: a bar's place inside its hour is layout, not a time.
      axes: [{ splits: function () { return s.times; }, values: function (u, ticks) { return ticks.map(stamp); } }, { label: 'messages' }],
      scales: {
        x: { time: true, range: function () { return [s.times[0], s.times[s.times.length - 1] + s.bucket]; } },
        y: { range: function () { return [0, Math.max(1, Math.ceil(most * 1.15))]; } },
      },
    };
    new uPlot(opts, data, box);
    box.dataset.series = String(series.length - 1);
  }
  document.addEventListener('DOMContentLoaded', function () {
    var box = document.getElementById('dmarc-chart');
    if (!box || typeof uPlot === 'undefined') return;
    fetch(box.dataset.series, { headers: { Accept: 'application/json' }, credentials: 'same-origin' })
      .then(function (r) { if (!r.ok) throw new Error('HTTP ' + r.status); return r.json(); })
      .then(function (s) { draw(box, s); })
      .catch(function (e) { box.textContent = 'The chart could not load (' + e.message + '); the table below has the numbers.'; });
  });
})();
