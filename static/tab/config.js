// The channel tab's configuration page: one choice (the Den tab), saved as soon as Teams asks.
(async function () {
  "use strict";
  if (window.parent === window || !window.microsoftTeams) return;
  const teams = window.microsoftTeams;
  await teams.app.initialize();
  const context = await teams.app.getContext();
  document.documentElement.dataset.theme = context.app.theme || "default";
  teams.pages.config.registerOnSaveHandler((save) => {
    const base = window.location.origin;
    const room = document.getElementById("show-room").checked; // the pitch-day room view, for a projector
    teams.pages.config
      .setConfig({
        entityId: room ? "den-room" : "den-channel",
        suggestedDisplayName: room ? "Pitch day" : "Deputy's Den",
        contentUrl: base + "/tab?context=channel" + (room ? "#/room" : ""),
        websiteUrl: base + "/tab" + (room ? "#/room" : ""),
      })
      .then(() => save.notifySuccess(), (error) => save.notifyFailure(String(error)));
  });
  teams.pages.config.setValidityState(true);
})();
