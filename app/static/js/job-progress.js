// A background job's page (templates/background/job.html): asks the server how far the job has
// got every second and moves the progress bar; once the job has finished, the page is loaded
// again so the server shows the result (summary, details, the file to download).
(function () {
  "use strict";
  var box = document.getElementById("job");
  if (!box || box.dataset.finished === "yes") return;
  var bar = document.getElementById("job-progress");
  var percent = document.getElementById("job-percent");
  var statusText = document.getElementById("job-status-text");
  var count = document.getElementById("job-count");
  var message = document.getElementById("job-message");
  var delay = 1000;

  function show(job) {
    if (job.percent === null || job.percent === undefined) {
      bar.removeAttribute("value"); // indeterminate: working, size not known yet
      percent.textContent = "";
    } else {
      bar.value = job.percent;
      bar.textContent = job.percent + "%";
      percent.textContent = job.percent + "%";
    }
    statusText.textContent = statusText.dataset[job.status] || "";
    count.textContent = job.total
      ? count.dataset.template.replace("{done}", job.done).replace("{total}", job.total)
      : "";
    message.textContent = job.message || "";
  }

  function poll() {
    fetch(box.dataset.stateUrl, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (data) {
        show(data.job);
        if (data.job.finished) {
          window.location.reload();
        } else {
          delay = 1000;
          window.setTimeout(poll, delay);
        }
      })
      .catch(function () {
        delay = Math.min(delay * 2, 10000); // the server is away: ask again, less often
        window.setTimeout(poll, delay);
      });
  }

  window.setTimeout(poll, delay);
})();
