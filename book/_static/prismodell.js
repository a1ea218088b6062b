/* Screen fixes for sphinx-book-theme 1.3 on pydata-sphinx-theme 0.17.

   Both themes wire the sidebar toggle with document.querySelector(".primary-toggle"), which
   finds the hidden button in the page header, not the visible one above the article: the
   visible menu button did nothing (on a phone the reader could not open the contents).
   A click on it is handed to the wired one. The themes' English button names are set in
   Swedish, the report's language. */
(function () {
  "use strict";
  const names = {
    ".bd-header-article .primary-toggle": "Visa eller dölj innehållsförteckningen",
    ".secondary-toggle": "Visa eller dölj sidans innehåll",
    ".theme-switch-button": "Byt färgläge",
  };

  document.addEventListener(
    "click",
    function (event) {
      const button = event.target.closest(".bd-header-article .primary-toggle");
      const wired = document.querySelector(".primary-toggle");
      if (!button || !wired || wired === button) return;
      event.preventDefault();
      event.stopImmediatePropagation();
      wired.click();
    },
    true
  );

  function rename() {
    for (const [selector, name] of Object.entries(names)) {
      document.querySelectorAll(selector).forEach(function (element) {
        element.setAttribute("aria-label", name);
        element.setAttribute("title", name);
        element.removeAttribute("data-bs-original-title");
      });
    }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", rename);
  } else {
    rename();
  }
})();
