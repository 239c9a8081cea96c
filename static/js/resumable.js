// Resumable uploads: a small client of the tus 1.0 protocol (records/tus.py), ours, no
// dependencies. A file is created on the server (POST), then sent in pieces (PATCH) from
// the offset the server holds. When the connection drops the script waits, asks the server
// where the file stands (HEAD) and goes on from there; the upload's address is kept in
// localStorage, so after a reload or a closed laptop, choosing the same file again
// continues it instead of starting over.
//
//   CfxResumable.upload(file, {endpoint, category, csrfToken, chunkSize,
//                               onProgress(sent, total), onSuccess(result), onError(message)})
//
// `result` is the server's JSON for the finished upload ({document, duplicate, notice} or
// {error}). Pieces are at most `chunkSize` bytes (the server's UPLOAD_RESUMABLE_MAX_PATCH_BYTES).
(function () {
  "use strict";

  var VERSION = "1.0.0";
  // Seconds to wait before each new attempt after a failure; the last one repeats.
  var RETRY_DELAYS = [1, 2, 4, 8, 15, 30];
  var MAX_ATTEMPTS = 40; // ~20 minutes of a lost connection before giving up
  var STORE_PREFIX = "cfx-upload:";

  function storeGet(key) {
    try {
      return window.localStorage.getItem(STORE_PREFIX + key);
    } catch (e) {
      return null; // private mode, storage disabled: the upload still works, unresumed
    }
  }

  function storeSet(key, value) {
    try {
      window.localStorage.setItem(STORE_PREFIX + key, value);
    } catch (e) {
      /* as above */
    }
  }

  function storeRemove(key) {
    try {
      window.localStorage.removeItem(STORE_PREFIX + key);
    } catch (e) {
      /* as above */
    }
  }

  function base64(text) {
    // UTF-8 safe: file names in any language.
    return window.btoa(unescape(encodeURIComponent(text)));
  }

  function request(method, url, headers, body, onProgress) {
    return new Promise(function (resolve) {
      var xhr = new XMLHttpRequest();
      xhr.open(method, url);
      xhr.setRequestHeader("Tus-Resumable", VERSION);
      Object.keys(headers).forEach(function (name) {
        xhr.setRequestHeader(name, headers[name]);
      });
      if (onProgress && xhr.upload) {
        xhr.upload.addEventListener("progress", function (event) {
          onProgress(event.loaded);
        });
      }
      xhr.addEventListener("loadend", function () {
        var reply = null;
        try {
          reply = JSON.parse(xhr.responseText);
        } catch (e) {
          reply = null;
        }
        resolve({ status: xhr.status, xhr: xhr, reply: reply });
      });
      xhr.send(body === undefined ? null : body);
    });
  }

  function wait(seconds) {
    return new Promise(function (resolve) {
      var timer = window.setTimeout(done, seconds * 1000);
      // Back online: try at once instead of sleeping out the delay.
      window.addEventListener("online", done);
      function done() {
        window.clearTimeout(timer);
        window.removeEventListener("online", done);
        resolve();
      }
    });
  }

  function Upload(file, options) {
    this.file = file;
    this.options = options;
    this.key = [options.endpoint, options.category, file.name, file.size, file.lastModified].join("|");
    this.url = null;
    this.offset = 0;
    this.failures = 0;
  }

  Upload.prototype.fail = function (message) {
    this.options.onError(message);
  };

  Upload.prototype.csrf = function () {
    return { "X-CSRFToken": this.options.csrfToken(), Accept: "application/json" };
  };

  // A failure that another attempt may cure (no connection, server busy or restarting).
  function transient(status) {
    return status === 0 || status === 409 || status === 423 || status === 502 || status === 503 || status === 504;
  }

  Upload.prototype.retry = function (status) {
    var self = this;
    self.failures += 1;
    if (self.failures > MAX_ATTEMPTS) {
      self.fail("The connection was lost for too long. Please choose the file again to continue.");
      return;
    }
    var delay = RETRY_DELAYS[Math.min(self.failures - 1, RETRY_DELAYS.length - 1)];
    if (self.options.onWaiting) {
      self.options.onWaiting(status);
    }
    wait(delay).then(function () {
      self.resume();
    });
  };

  Upload.prototype.start = function () {
    var stored = storeGet(this.key);
    if (stored) {
      this.url = stored;
      this.resume();
    } else {
      this.create();
    }
  };

  Upload.prototype.create = function () {
    var self = this;
    var headers = self.csrf();
    headers["Upload-Length"] = String(self.file.size);
    headers["Upload-Metadata"] =
      "category " + base64(self.options.category) + ",filename " + base64(self.file.name);
    request("POST", self.options.endpoint, headers).then(function (answer) {
      if (answer.status === 201) {
        self.url = answer.xhr.getResponseHeader("Location");
        storeSet(self.key, self.url);
        self.offset = 0;
        self.send();
      } else if (transient(answer.status) && answer.status !== 409) {
        self.failures += 1;
        if (self.failures > MAX_ATTEMPTS) {
          self.fail("The upload did not work. Please choose the file again.");
          return;
        }
        wait(RETRY_DELAYS[Math.min(self.failures - 1, RETRY_DELAYS.length - 1)]).then(function () {
          self.create();
        });
      } else {
        self.fail((answer.reply && answer.reply.error) || "The upload did not work. Please choose the file again.");
      }
    });
  };

  // Ask the server where the upload stands, and go on from there.
  Upload.prototype.resume = function () {
    var self = this;
    request("HEAD", self.url, {}).then(function (answer) {
      if (answer.status === 200) {
        var length = parseInt(answer.xhr.getResponseHeader("Upload-Length"), 10);
        if (length !== self.file.size) {
          storeRemove(self.key); // not this file's upload after all
          self.create();
          return;
        }
        self.offset = parseInt(answer.xhr.getResponseHeader("Upload-Offset"), 10);
        if (self.offset >= self.file.size) {
          self.finish();
        } else {
          self.send();
        }
      } else if (answer.status === 404 || answer.status === 410) {
        // Expired, removed, or another browser's: start again from the beginning.
        storeRemove(self.key);
        self.create();
      } else if (transient(answer.status)) {
        self.retry(answer.status);
      } else {
        self.fail((answer.reply && answer.reply.error) || "The upload did not work. Please choose the file again.");
      }
    });
  };

  Upload.prototype.send = function () {
    var self = this;
    var end = Math.min(self.file.size, self.offset + self.options.chunkSize);
    var start = self.offset;
    var headers = self.csrf();
    headers["Upload-Offset"] = String(start);
    headers["Content-Type"] = "application/offset+octet-stream";
    self.options.onProgress(start, self.file.size);
    request("PATCH", self.url, headers, self.file.slice(start, end), function (loaded) {
      self.options.onProgress(start + loaded, self.file.size);
    }).then(function (answer) {
      if (answer.status === 204) {
        self.failures = 0;
        self.offset = parseInt(answer.xhr.getResponseHeader("Upload-Offset"), 10);
        if (self.offset >= self.file.size) {
          self.finish();
        } else {
          self.send();
        }
      } else if (answer.status === 404 || answer.status === 410) {
        storeRemove(self.key);
        self.create();
      } else if (transient(answer.status)) {
        self.retry(answer.status);
      } else {
        // Refused (the file's content, a limit): the server's reason, once.
        storeRemove(self.key);
        self.options.onProgress(self.file.size, self.file.size);
        self.fail((answer.reply && answer.reply.error) || "The upload did not work. Please choose the file again.");
      }
    });
  };

  Upload.prototype.finish = function () {
    var self = this;
    request("GET", self.url, { Accept: "application/json" }).then(function (answer) {
      if (answer.status === 200 && answer.reply) {
        storeRemove(self.key);
        if (answer.reply.error || !answer.reply.document) {
          self.fail(answer.reply.error || "The upload did not work. Please choose the file again.");
        } else {
          self.options.onSuccess(answer.reply);
        }
      } else if (transient(answer.status)) {
        self.failures += 1;
        wait(RETRY_DELAYS[Math.min(self.failures - 1, RETRY_DELAYS.length - 1)]).then(function () {
          self.finish();
        });
      } else {
        storeRemove(self.key);
        self.fail("The upload did not work. Please choose the file again.");
      }
    });
  };

  window.CfxResumable = {
    supported: !!(window.XMLHttpRequest && window.Promise && window.Blob && Blob.prototype.slice),
    upload: function (file, options) {
      var upload = new Upload(file, options);
      upload.start();
      return upload;
    },
  };
})();
