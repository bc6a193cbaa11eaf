// MailLab dashboard, DMARC reports: draws pass and fail per source IP over time with uPlot (vendored, MIT) from
// /api/reports/dmarc/series. The page's table has the same numbers; without this script nothing is lost.
(function () {
  'use strict';
  // Distinct hues; pass and fail of one source share a hue and differ by line style and label, never colour alone.
  var hues = ['#003c8f', '#8a0000', '#05520f', '#6b4b00', '#5b2a86', '#00606b', '#a33b00', '#333333', '#7a1f5c', '#2f4f00', '#555555'];
  function draw(box, s) {
    box.textContent = '';
    if (!s.times.length) { box.dataset.series = '0'; box.textContent = 'No aggregate report data yet.'; return; }
    var data = [s.times];
    var series = [{ label: 'Time (UTC)' }];
    s.sources.forEach(function (src, i) {
      var colour = hues[i % hues.length];
      data.push(src.pass);
      series.push({ label: src.sourceIp + ' pass', stroke: colour, width: 2, points: { show: true, size: 8, fill: colour } });
      data.push(src.fail);
      series.push({ label: src.sourceIp + ' fail', stroke: colour, width: 2, dash: [6, 4], points: { show: true, size: 8, fill: '#fff' } });
    });
    var width = Math.max(320, Math.min(box.clientWidth || 800, 960));
    var opts = {
      width: width, height: 320, series: series, tzDate: function (ts) { return uPlot.tzDate(new Date(ts * 1e3), 'Etc/UTC'); },
      axes: [{}, { label: 'messages' }], scales: { y: { range: function (u, min, max) { return [0, Math.max(1, max)]; } } },
    };
    // One bucket draws as points at one time; uPlot needs a range around it.
    if (s.times.length === 1) opts.scales.x = { time: true, range: function () { return [s.times[0] - s.bucket, s.times[0] + s.bucket]; } };
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
