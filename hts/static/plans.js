// Poll a running plan's progress and reload the page when it finishes (no inline script: CSP).
const box = document.querySelector("[data-hts-plan-progress]");
if (box) {
  const url = box.dataset.htsPlanProgress;
  const bar = box.querySelector("progress");
  const message = box.querySelector("[data-hts-plan-message]");
  const poll = async () => {
    try {
      const response = await fetch(url, { headers: { Accept: "application/json" } });
      if (response.ok) {
        const state = await response.json();
        if (state.status !== "queued" && state.status !== "running") {
          window.location.reload();
          return;
        }
        bar.max = Math.max(1, state.total);
        bar.value = state.done;
        bar.textContent = `${state.done} of ${state.total}`;
        message.textContent = `${state.message || "Working"} (${state.done} of ${state.total || "?"} parts)`;
      }
    } catch (error) {
      // A dropped poll is retried on the next tick.
    }
    window.setTimeout(poll, 2000);
  };
  window.setTimeout(poll, 2000);
}
