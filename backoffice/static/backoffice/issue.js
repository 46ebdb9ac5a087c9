/* The back office's issue page: a ready reply chosen in a picker fills its text box. */
(function () {
  "use strict";

  document.querySelectorAll("select.template-picker").forEach((picker) => {
    picker.addEventListener("change", () => {
      const target = document.getElementById(picker.dataset.target);
      if (target && picker.value) {
        target.value = picker.value;
        target.focus();
      }
    });
  });
})();
