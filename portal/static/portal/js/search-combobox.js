/*
 * Search suggestions: turns every <input data-autocomplete-url> into a WAI-ARIA 1.2 combobox
 * with a listbox popup (https://www.w3.org/WAI/ARIA/apg/patterns/combobox/).
 *
 * Without this script the input is a plain search field that submits its form; the ARIA
 * roles and states are only added here, so they never promise a popup that cannot open.
 *
 * Keys: Down/Up move through the suggestions (and open them), Enter on a suggestion opens
 * its page, Enter without one submits the form, Escape closes the list (then, as usual,
 * clears the field). A polite live region says how many suggestions there are.
 * The announcements come translated from data-autocomplete-* attributes.
 */
(function () {
    "use strict";

    var DEBOUNCE_MS = 150;
    var MIN_LENGTH = 2;

    function Combobox(input) {
        this.input = input;
        this.form = input.form;
        this.url = input.getAttribute("data-autocomplete-url");
        this.messages = {
            none: input.getAttribute("data-autocomplete-none") || "",
            one: input.getAttribute("data-autocomplete-one") || "",
            other: input.getAttribute("data-autocomplete-other") || "",
        };
        this.results = [];
        this.active = -1;
        this.timer = null;
        this.request = null;
        this.lastQuery = null;

        var id = input.id || "search-" + Math.random().toString(36).slice(2);
        input.id = id;

        this.listbox = document.createElement("ul");
        this.listbox.id = id + "-listbox";
        this.listbox.className = "combobox__listbox";
        this.listbox.setAttribute("role", "listbox");
        this.listbox.setAttribute(
            "aria-label",
            input.getAttribute("data-autocomplete-label") || "Suggestions"
        );
        this.listbox.hidden = true;
        input.parentNode.appendChild(this.listbox);

        this.status = document.createElement("div");
        this.status.className = "visually-hidden";
        this.status.setAttribute("role", "status");
        this.status.setAttribute("aria-live", "polite");
        this.status.setAttribute("aria-atomic", "true");
        input.parentNode.appendChild(this.status);

        input.setAttribute("role", "combobox");
        input.setAttribute("aria-autocomplete", "list");
        input.setAttribute("aria-expanded", "false");
        input.setAttribute("aria-controls", this.listbox.id);
        input.setAttribute("autocomplete", "off");

        input.addEventListener("input", this.onInput.bind(this));
        input.addEventListener("keydown", this.onKeydown.bind(this));
        input.addEventListener("blur", this.onBlur.bind(this));
        input.addEventListener("focus", this.onFocus.bind(this));
        // Keep the focus in the field while an option is pressed, then follow it.
        this.listbox.addEventListener("mousedown", function (event) {
            event.preventDefault();
        });
        this.listbox.addEventListener("click", this.onClick.bind(this));
        this.listbox.addEventListener("mousemove", this.onMousemove.bind(this));
    }

    Combobox.prototype.query = function () {
        return this.input.value.trim();
    };

    Combobox.prototype.onInput = function () {
        var self = this;
        window.clearTimeout(this.timer);
        if (this.query().length < MIN_LENGTH) {
            this.abort();
            this.lastQuery = null;
            this.show([]);
            this.announce("");
            return;
        }
        this.timer = window.setTimeout(function () {
            self.fetch(self.query());
        }, DEBOUNCE_MS);
    };

    Combobox.prototype.abort = function () {
        if (this.request) {
            this.request.abort();
            this.request = null;
        }
    };

    Combobox.prototype.fetch = function (query) {
        var self = this;
        if (query === this.lastQuery) {
            this.show(this.results);
            return;
        }
        this.abort();
        var controller = new AbortController();
        this.request = controller;
        var url = new URL(this.url, window.location.href);
        url.searchParams.set("q", query);
        window
            .fetch(url.toString(), {
                headers: { Accept: "application/json" },
                credentials: "same-origin",
                signal: controller.signal,
            })
            .then(function (response) {
                if (!response.ok) {
                    throw new Error("autocomplete answered " + response.status);
                }
                return response.json();
            })
            .then(function (data) {
                if (self.request !== controller || self.query() !== query) {
                    return; // the reader has typed on
                }
                self.request = null;
                self.lastQuery = query;
                var results = (data && data.results) || [];
                self.show(results);
                self.announceCount(results.length);
            })
            .catch(function (error) {
                if (error && error.name === "AbortError") {
                    return;
                }
                // Suggestions are a convenience: the form still searches.
                self.request = null;
                self.show([]);
            });
    };

    Combobox.prototype.show = function (results) {
        this.results = results;
        this.active = -1;
        this.input.removeAttribute("aria-activedescendant");
        while (this.listbox.firstChild) {
            this.listbox.removeChild(this.listbox.firstChild);
        }
        for (var i = 0; i < results.length; i++) {
            var option = document.createElement("li");
            option.id = this.listbox.id + "-" + i;
            option.className = "combobox__option";
            option.setAttribute("role", "option");
            option.setAttribute("aria-selected", "false");
            option.setAttribute("data-index", String(i));
            var title = document.createElement("span");
            title.className = "combobox__title";
            title.textContent = results[i].title;
            var kind = document.createElement("span");
            kind.className = "combobox__kind";
            kind.textContent = results[i].kind_label;
            var separator = document.createElement("span");
            separator.className = "visually-hidden";
            separator.textContent = ", ";
            option.appendChild(title);
            option.appendChild(separator);
            option.appendChild(kind);
            this.listbox.appendChild(option);
        }
        this.setExpanded(results.length > 0 && document.activeElement === this.input);
    };

    Combobox.prototype.setExpanded = function (expanded) {
        this.listbox.hidden = !expanded;
        this.input.setAttribute("aria-expanded", expanded ? "true" : "false");
        if (!expanded) {
            this.setActive(-1);
        }
    };

    Combobox.prototype.isExpanded = function () {
        return this.input.getAttribute("aria-expanded") === "true";
    };

    Combobox.prototype.setActive = function (index) {
        var options = this.listbox.querySelectorAll("[role=option]");
        for (var i = 0; i < options.length; i++) {
            options[i].setAttribute("aria-selected", i === index ? "true" : "false");
        }
        this.active = index;
        if (index >= 0 && options[index]) {
            this.input.setAttribute("aria-activedescendant", options[index].id);
            options[index].scrollIntoView({ block: "nearest" });
        } else {
            this.input.removeAttribute("aria-activedescendant");
        }
    };

    Combobox.prototype.move = function (step) {
        var count = this.results.length;
        if (!count) {
            return;
        }
        if (!this.isExpanded()) {
            this.setExpanded(true);
        }
        var next;
        if (this.active < 0) {
            next = step > 0 ? 0 : count - 1;
        } else {
            next = (this.active + step + count) % count;
        }
        this.setActive(next);
    };

    Combobox.prototype.follow = function (index) {
        var result = this.results[index];
        if (result && result.url) {
            this.setExpanded(false);
            window.location.assign(result.url);
        }
    };

    Combobox.prototype.onKeydown = function (event) {
        if (event.isComposing) {
            return;
        }
        switch (event.key) {
            case "ArrowDown":
            case "ArrowUp":
                if (!this.results.length) {
                    // The page may open with a query already typed: suggest on demand.
                    if (event.key === "ArrowDown" && this.query().length >= MIN_LENGTH) {
                        event.preventDefault();
                        this.fetch(this.query());
                    }
                    break;
                }
                event.preventDefault();
                if (event.altKey) {
                    this.setExpanded(event.key === "ArrowDown");
                } else {
                    this.move(event.key === "ArrowDown" ? 1 : -1);
                }
                break;
            case "Enter":
                if (this.isExpanded() && this.active >= 0) {
                    event.preventDefault();
                    this.follow(this.active);
                }
                // Otherwise the form is submitted as usual.
                break;
            case "Escape":
                if (this.isExpanded()) {
                    event.preventDefault();
                    this.setExpanded(false);
                }
                break;
            case "Tab":
                this.setExpanded(false);
                break;
            default:
                break;
        }
    };

    Combobox.prototype.onBlur = function () {
        window.clearTimeout(this.timer);
        this.setExpanded(false);
    };

    Combobox.prototype.onFocus = function () {
        if (this.results.length && this.query() === this.lastQuery) {
            this.setExpanded(true);
        }
    };

    Combobox.prototype.optionIndex = function (event) {
        var option = event.target.closest("[role=option]");
        return option ? Number(option.getAttribute("data-index")) : -1;
    };

    Combobox.prototype.onClick = function (event) {
        var index = this.optionIndex(event);
        if (index >= 0) {
            this.follow(index);
        }
    };

    Combobox.prototype.onMousemove = function (event) {
        var index = this.optionIndex(event);
        if (index >= 0 && index !== this.active) {
            this.setActive(index);
        }
    };

    Combobox.prototype.announce = function (text) {
        this.status.textContent = text;
    };

    Combobox.prototype.announceCount = function (count) {
        var message;
        if (count === 0) {
            message = this.messages.none;
        } else if (count === 1) {
            message = this.messages.one;
        } else {
            message = this.messages.other.replace("{n}", String(count));
        }
        this.announce(message);
    };

    function init() {
        var inputs = document.querySelectorAll("input[data-autocomplete-url]");
        for (var i = 0; i < inputs.length; i++) {
            if (!inputs[i].hasAttribute("data-combobox")) {
                inputs[i].setAttribute("data-combobox", "");
                new Combobox(inputs[i]);
            }
        }
    }

    if (!("fetch" in window) || !("AbortController" in window) || !("URL" in window)) {
        return; // an old browser keeps the plain search field
    }
    if (document.readyState === "loading") {
        document.addEventListener("DOMContentLoaded", init);
    } else {
        init();
    }
})();
