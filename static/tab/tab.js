// The Den tab's shell: signs in, follows the Teams theme and language, and shows the pages the server
// renders. In Teams the token comes from the Teams JavaScript library (authentication.getAuthToken);
// outside Teams (a local trial with authentication off) the person picks whom to sign in as.
(function () {
  "use strict";
  const params = new URLSearchParams(window.location.search);
  const app = document.getElementById("app");
  const state = { teams: null, locale: params.get("lang") || navigator.language || "en-CA", first: true };
  const DEMO_KEY = "den.signInAs";

  function applyTheme(theme) {
    const known = ["default", "dark", "contrast"];
    document.documentElement.dataset.theme = known.includes(theme) ? theme : "default";
  }

  async function startTeams() {
    // Only inside a host's frame: outside one, the library would wait for a host that never answers.
    if (window.parent === window || !window.microsoftTeams) return null;
    const teams = window.microsoftTeams;
    await teams.app.initialize();
    const context = await teams.app.getContext();
    applyTheme(context.app.theme);
    teams.app.registerOnThemeChangeHandler(applyTheme);
    if (context.app.locale) state.locale = context.app.locale;
    const subPage = context.page && context.page.subPageId;
    if (subPage && subPage.startsWith("idea:") && !window.location.hash) {
      window.location.hash = "#/idea/" + encodeURIComponent(subPage.slice(5));
    }
    if (subPage === "information" && !window.location.hash) window.location.hash = "#/information";
    return teams;
  }

  async function authorization() {
    if (state.teams) return "Bearer " + (await state.teams.authentication.getAuthToken());
    const chosen = params.get("as") || sessionStorage.getItem(DEMO_KEY);
    return chosen ? "Bearer demo:" + chosen : "";
  }

  function apiPath(hash) {
    const route = (hash || "").replace(/^#\/?/, "");
    const [path, query] = route.split("?");
    const search = new URLSearchParams(query || "");
    if (path.startsWith("idea/")) return "/tab/api/ideas/" + encodeURIComponent(decodeURIComponent(path.slice(5)));
    if (path === "requests") return "/tab/api/requests";
    if (path === "mine") return "/tab/api/mine";
    if (path === "information") return "/tab/api/information";
    if (["dashboard", "showcase", "console", "room"].includes(path.split("/")[0])) {
      const text = search.toString();
      return "/tab/api/" + path + (text ? "?" + text : "");
    }
    if (path === "lessons") search.set("lessons", "1");
    const text = search.toString();
    return "/tab/api/ideas" + (text ? "?" + text : "");
  }

  async function request(path, body) {
    const headers = { "X-Den-Locale": state.locale };
    try {
      headers["X-Den-Time-Zone"] = Intl.DateTimeFormat().resolvedOptions().timeZone;
    } catch (ignored) {
      /* the server's time zone is used */
    }
    const token = await authorization();
    if (token) headers.Authorization = token;
    if (body !== undefined) {
      headers["Content-Type"] = "application/x-www-form-urlencoded";
      return fetch(path, { method: "POST", headers: headers, body: body, credentials: "omit" });
    }
    return fetch(path, { headers: headers, credentials: "omit" });
  }

  function show(html, shown) {
    app.innerHTML = html;
    app.dataset.shown = shown || "";
    app.removeAttribute("aria-busy");
    const page = app.querySelector(".page");
    if (page) {
      document.documentElement.lang = page.getAttribute("lang") || "en";
      document.title = page.dataset.title || document.title;
    }
    const heading = app.querySelector("[data-focus]") || app.querySelector("h1");
    if (heading && !state.first) {
      heading.setAttribute("tabindex", "-1");
      heading.focus();
    }
    state.first = false;
  }

  async function signInChoice() {
    const response = await request("/tab/api/people");
    if (response.ok) {
      show(await response.text());
      return;
    }
    showMessage("Your sign-in could not be checked. Close the tab and open it again.",
      "Votre connexion n’a pas pu être vérifiée. Fermez l’onglet et ouvrez-le de nouveau.");
  }

  function showMessage(english, french) {
    const french_first = state.locale.toLowerCase().startsWith("fr");
    const main = document.createElement("main");
    main.id = "main";
    const p = document.createElement("p");
    p.setAttribute("role", "alert");
    p.textContent = french_first ? french : english;
    main.appendChild(p);
    app.replaceChildren(main);
    app.removeAttribute("aria-busy");
  }

  async function load() {
    if (!state.teams && !(await authorization())) return signInChoice();
    app.setAttribute("aria-busy", "true");
    const hash = window.location.hash;
    let response;
    try {
      response = await request(apiPath(hash));
    } catch (error) {
      return showMessage("The Den cannot be reached right now. Try again in a moment.",
        "Deputy's Den est injoignable pour le moment. Réessayez dans un instant.");
    }
    if (response.status === 401) {
      if (!state.teams) {
        sessionStorage.removeItem(DEMO_KEY);
        return signInChoice();
      }
      return showMessage("Your sign-in could not be checked. Close the tab and open it again.",
        "Votre connexion n’a pas pu être vérifiée. Fermez l’onglet et ouvrez-le de nouveau.");
    }
    show(await response.text(), hash);
  }

  async function post(form) {
    const button = form.querySelector("button[type=submit]");
    if (button) button.disabled = true;
    app.setAttribute("aria-busy", "true");
    const hash = window.location.hash;
    let response;
    try {
      response = await request(form.dataset.post, new URLSearchParams(new FormData(form)).toString());
    } catch (error) {
      if (button) button.disabled = false;
      app.removeAttribute("aria-busy");
      return showMessage("The Den cannot be reached right now. Nothing was changed; try again in a moment.",
        "Deputy's Den est injoignable pour le moment. Rien n’a été modifié; réessayez dans un instant.");
    }
    if (response.status === 401) return load();
    state.first = true; // stay where the person is: the status message says what changed
    show(await response.text(), hash);
    const saved = app.querySelector("[role=status].saved");
    if (saved) {
      saved.setAttribute("tabindex", "-1");
      saved.focus();
    }
  }

  app.addEventListener("submit", function (event) {
    const posting = event.target.closest("form[data-post]");
    if (posting) {
      event.preventDefault();
      post(posting);
      return;
    }
    const form = event.target.closest("form[data-view]");
    if (!form) return;
    event.preventDefault();
    const search = new URLSearchParams();
    for (const [name, value] of new FormData(form)) {
      if (String(value).trim()) search.set(name, String(value).trim());
    }
    const text = search.toString();
    window.location.hash = "#/" + form.dataset.view + (text ? "?" + text : "");
  });

  document.addEventListener("click", function (event) {
    const skip = event.target.closest("[data-skip]");
    if (skip) {
      event.preventDefault();
      const main = document.getElementById("main");
      if (main) {
        main.setAttribute("tabindex", "-1");
        main.focus();
      }
      return;
    }
    const person = event.target.closest("[data-sign-in]");
    if (person) {
      sessionStorage.setItem(DEMO_KEY, person.dataset.signIn);
      params.delete("as");
      load();
      return;
    }
    if (event.target.closest("[data-sign-out]")) {
      sessionStorage.removeItem(DEMO_KEY);
      params.delete("as");
      signInChoice();
    }
  });

  // The pitch-day room view (a projector's channel tab): ask whether the room changed since what it
  // shows; the server holds the question until it has (or ROOM_WAIT_S have passed: 204), then answers
  // what to show now, which replaces the live part in place. The next question goes at once; after a
  // failure, a second later.
  const ROOM_WAIT_S = 20;
  const ROOM_RETRY_MS = 1000;
  let roomTimer = null;

  async function pollRoom() {
    roomTimer = null;
    const room = app.querySelector("[data-room]");
    if (!room || !window.location.hash.startsWith("#/room")) return;
    const query = new URLSearchParams({
      challenge: room.dataset.room, since: room.dataset.roomToken || "", wait: String(ROOM_WAIT_S),
    });
    let delay = 0;
    try {
      const response = await request("/tab/api/room/state?" + query.toString());
      if (response.status === 200 && app.contains(room)) {
        room.dataset.roomToken = response.headers.get("X-Room-Token") || "";
        room.querySelector(".room-live").innerHTML = await response.text();
      } else if (response.status !== 204) {
        delay = ROOM_RETRY_MS;
      }
    } catch (error) {
      delay = ROOM_RETRY_MS; /* the next question tries again */
    }
    watchRoom(delay);
  }

  function watchRoom(delay) {
    if (roomTimer === null && app.querySelector("[data-room]")) {
      roomTimer = setTimeout(pollRoom, typeof delay === "number" ? delay : ROOM_RETRY_MS);
    }
  }

  new MutationObserver(watchRoom).observe(app, { childList: true });
  window.addEventListener("hashchange", load);

  (async function start() {
    applyTheme(params.get("theme") || "default");
    try {
      state.teams = await startTeams();
    } catch (error) {
      state.teams = null;
    }
    await load();
  })();
})();
