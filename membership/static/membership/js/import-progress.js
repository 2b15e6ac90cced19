/*
 * Adhérent import page: while the import runs, poll its JSON status and update the progress
 * bar and the summary; reload the page once it has ended, to show the list of errors.
 */
(function () {
  'use strict';

  var POLL_EVERY_MS = 2000;

  function start(section) {
    var url = section.getAttribute('data-status-url');
    var bar = section.querySelector('[data-import-bar]');
    var percent = section.querySelector('[data-import-percent]');
    var status = section.querySelector('[data-import-status]');
    var summary = section.querySelector('[data-import-summary]');

    function show(data) {
      bar.value = data.percent;
      bar.textContent = data.percent + ' %';
      percent.textContent = data.percent + ' %';
      status.textContent = data.status_label;
      summary.textContent = data.summary;
    }

    function poll() {
      fetch(url, { credentials: 'same-origin', headers: { Accept: 'application/json' } })
        .then(function (response) {
          if (!response.ok) {
            throw new Error('HTTP ' + response.status);
          }
          return response.json();
        })
        .then(function (data) {
          show(data);
          if (data.finished) {
            window.location.reload();
          } else {
            window.setTimeout(poll, POLL_EVERY_MS);
          }
        })
        .catch(function () {
          // A lost connection or an expired session: try again, more slowly.
          window.setTimeout(poll, POLL_EVERY_MS * 5);
        });
    }

    window.setTimeout(poll, POLL_EVERY_MS);
  }

  document.addEventListener('DOMContentLoaded', function () {
    var section = document.querySelector('[data-import-progress][data-finished="false"]');
    if (section) {
      start(section);
    }
  });
})();
