// MailLab dashboard: the projector-mode toggle, kept across pages (localStorage). No framework, no build step.
(function () {
  'use strict';
  var key = 'maillab-projector';
  var root = document.documentElement;
  function set(on) {
    root.classList.toggle('projector', on);
    var button = document.getElementById('projector');
    if (button) button.setAttribute('aria-pressed', on ? 'true' : 'false');
    try { localStorage.setItem(key, on ? '1' : '0'); } catch (e) { /* private mode: the toggle still works on this page */ }
  }
  var saved = false;
  try { saved = localStorage.getItem(key) === '1'; } catch (e) { }
  root.classList.toggle('projector', saved);
  document.addEventListener('DOMContentLoaded', function () {
    var button = document.getElementById('projector');
    if (!button) return;
    button.hidden = false; // shown only where the script runs
    button.setAttribute('aria-pressed', saved ? 'true' : 'false');
    button.addEventListener('click', function () { set(!root.classList.contains('projector')); });
  });
})();
