// MailLab dashboard, zone editor: line numbers beside the textarea, the lines with errors marked "✗ N"
// (a symbol, not colour alone), and a click on an error selects its line. The form works without this script.
(function () {
  'use strict';
  document.addEventListener('DOMContentLoaded', function () {
    var text = document.getElementById('zone-text');
    var gutter = document.getElementById('zone-gutter');
    if (!text || !gutter) return;
    var bad = {};
    var items = document.querySelectorAll('#zone-errors li[data-line]');
    items.forEach(function (li) {
      var line = parseInt(li.getAttribute('data-line'), 10);
      if (line > 0) bad[line] = true;
      var link = li.querySelector('a');
      if (link && line > 0) link.addEventListener('click', function (e) { e.preventDefault(); select(line, true); });
    });

    function lineCount() { return text.value.split('\n').length; }

    function draw() {
      var n = lineCount();
      var parts = [];
      for (var i = 1; i <= n; i++) {
        parts.push(bad[i] ? '<div class="err" title="error on line ' + i + '">✗ ' + i + '</div>' : '<div>' + i + '</div>');
      }
      gutter.innerHTML = parts.join('');
      gutter.scrollTop = text.scrollTop;
    }

    function lineHeight() {
      var first = gutter.firstElementChild;
      return first ? first.getBoundingClientRect().height : 20;
    }

    // Selects line `line` and scrolls it into the middle of the textarea.
    function select(line, focus) {
      var lines = text.value.split('\n');
      var start = 0;
      for (var i = 0; i < line - 1 && i < lines.length; i++) start += lines[i].length + 1;
      var end = start + (lines[line - 1] || '').length;
      if (focus) text.focus();
      text.setSelectionRange(start, end);
      text.scrollTop = Math.max(0, (line - 1) * lineHeight() - text.clientHeight / 2);
      gutter.scrollTop = text.scrollTop;
    }

    gutter.hidden = false;
    draw();
    text.addEventListener('input', draw);
    text.addEventListener('scroll', function () { gutter.scrollTop = text.scrollTop; });
    var first = Object.keys(bad).map(Number).sort(function (a, b) { return a - b; })[0];
    if (first) select(first, false);
  });
})();
