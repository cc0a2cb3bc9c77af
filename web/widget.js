/* ICC Assistant chat widget.
 *
 *   <script src="https://HOST/widget.js" data-api="https://HOST" defer></script>
 *
 * Options (data- attributes on the script tag): data-api (base URL; empty = same origin),
 * data-lang (UI language; else <html lang>, else the browser's), data-mode="inline" with
 * data-target="#css-selector" to render inside an element instead of a floating launcher.
 *
 * Everything lives in a shadow root, so host CSS cannot reach in and ours cannot leak out.
 * No cookies, no third-party requests. Model and source text only ever reaches the DOM as
 * text nodes (textContent), never as HTML.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  var API = ((script && script.getAttribute("data-api")) || "").replace(/\/$/, "");
  var STORE_KEY = "icc-assistant:conversation";

  var STRINGS = {
    en: { title: "ICC Assistant", open: "Ask about intercultural cities", placeholder: "Ask a question in any language", send: "Send", stop: "Stop", fresh: "New conversation", close: "Close", sources: "Sources", copy: "Copy", copied: "Copied", up: "Helpful", down: "Not helpful", reason: "What was wrong? (optional)", thanks: "Thank you for your feedback.", error: "The assistant cannot be reached.", busy: "Too many questions at once. Try again in a few seconds.", retry: "Retry", city: "City", topic: "Topic", any: "Any", starters: ["How do cities run anti-rumour campaigns?", "How can a city support schools with many migrant pupils?", "What does the Ansan report recommend?"], thinking: "Searching the ICC material…", submit: "Send feedback" },
    fr: { title: "Assistant ICC", open: "Questions sur les cités interculturelles", placeholder: "Posez une question dans votre langue", send: "Envoyer", stop: "Arrêter", fresh: "Nouvelle conversation", close: "Fermer", sources: "Sources", copy: "Copier", copied: "Copié", up: "Utile", down: "Pas utile", reason: "Qu'est-ce qui n'allait pas ? (facultatif)", thanks: "Merci pour votre avis.", error: "L'assistant est injoignable.", busy: "Trop de questions à la fois. Réessayez dans quelques secondes.", retry: "Réessayer", city: "Ville", topic: "Thème", any: "Tous", starters: ["Comment les villes mènent-elles des campagnes anti-rumeurs ?", "Comment une ville peut-elle soutenir les écoles accueillant beaucoup d'élèves migrants ?"], thinking: "Recherche dans les documents de l'ICC…", submit: "Envoyer l'avis" },
    de: { title: "ICC-Assistent", open: "Fragen zu interkulturellen Städten", placeholder: "Stellen Sie eine Frage in Ihrer Sprache", send: "Senden", stop: "Stopp", fresh: "Neues Gespräch", close: "Schließen", sources: "Quellen", copy: "Kopieren", copied: "Kopiert", up: "Hilfreich", down: "Nicht hilfreich", reason: "Was war falsch? (optional)", thanks: "Danke für Ihre Rückmeldung.", error: "Der Assistent ist nicht erreichbar.", busy: "Zu viele Fragen auf einmal. Bitte gleich noch einmal versuchen.", retry: "Erneut versuchen", city: "Stadt", topic: "Thema", any: "Alle", starters: ["Wie führen Städte Anti-Gerüchte-Kampagnen durch?", "Wie kann eine Stadt Schulen mit vielen zugewanderten Kindern unterstützen?"], thinking: "Suche in den ICC-Unterlagen…", submit: "Rückmeldung senden" },
    es: { title: "Asistente ICC", open: "Preguntas sobre ciudades interculturales", placeholder: "Haga una pregunta en su idioma", send: "Enviar", stop: "Detener", fresh: "Nueva conversación", close: "Cerrar", sources: "Fuentes", copy: "Copiar", copied: "Copiado", up: "Útil", down: "No útil", reason: "¿Qué falló? (opcional)", thanks: "Gracias por su opinión.", error: "No se puede contactar con el asistente.", busy: "Demasiadas preguntas a la vez. Inténtelo en unos segundos.", retry: "Reintentar", city: "Ciudad", topic: "Tema", any: "Todas", starters: ["¿Cómo organizan las ciudades campañas antirrumores?"], thinking: "Buscando en los documentos del ICC…", submit: "Enviar opinión" },
    it: { title: "Assistente ICC", open: "Domande sulle città interculturali", placeholder: "Fai una domanda nella tua lingua", send: "Invia", stop: "Ferma", fresh: "Nuova conversazione", close: "Chiudi", sources: "Fonti", copy: "Copia", copied: "Copiato", up: "Utile", down: "Non utile", reason: "Cosa non andava? (facoltativo)", thanks: "Grazie per il riscontro.", error: "L'assistente non è raggiungibile.", busy: "Troppe domande insieme. Riprova tra qualche secondo.", retry: "Riprova", city: "Città", topic: "Tema", any: "Tutte", starters: ["Come organizzano le città le campagne anti-dicerie?"], thinking: "Ricerca nei documenti ICC…", submit: "Invia riscontro" },
    pt: { title: "Assistente ICC", open: "Perguntas sobre cidades interculturais", placeholder: "Faça uma pergunta na sua língua", send: "Enviar", stop: "Parar", fresh: "Nova conversa", close: "Fechar", sources: "Fontes", copy: "Copiar", copied: "Copiado", up: "Útil", down: "Pouco útil", reason: "O que correu mal? (opcional)", thanks: "Obrigado pela sua opinião.", error: "Não é possível contactar o assistente.", busy: "Demasiadas perguntas de uma vez. Tente de novo dentro de segundos.", retry: "Tentar de novo", city: "Cidade", topic: "Tema", any: "Todas", starters: ["Como é que as cidades fazem campanhas anti-rumores?"], thinking: "A pesquisar nos documentos do ICC…", submit: "Enviar opinião" },
    nl: { title: "ICC-assistent", open: "Vragen over interculturele steden", placeholder: "Stel een vraag in uw taal", send: "Versturen", stop: "Stoppen", fresh: "Nieuw gesprek", close: "Sluiten", sources: "Bronnen", copy: "Kopiëren", copied: "Gekopieerd", up: "Nuttig", down: "Niet nuttig", reason: "Wat was er mis? (optioneel)", thanks: "Bedankt voor uw feedback.", error: "De assistent is niet bereikbaar.", busy: "Te veel vragen tegelijk. Probeer het over een paar seconden opnieuw.", retry: "Opnieuw", city: "Stad", topic: "Thema", any: "Alle", starters: ["Hoe voeren steden anti-geruchtencampagnes?"], thinking: "Zoeken in het ICC-materiaal…", submit: "Feedback versturen" },
    pl: { title: "Asystent ICC", open: "Pytania o miasta międzykulturowe", placeholder: "Zadaj pytanie w swoim języku", send: "Wyślij", stop: "Zatrzymaj", fresh: "Nowa rozmowa", close: "Zamknij", sources: "Źródła", copy: "Kopiuj", copied: "Skopiowano", up: "Pomocne", down: "Niepomocne", reason: "Co było nie tak? (opcjonalnie)", thanks: "Dziękujemy za opinię.", error: "Nie można połączyć się z asystentem.", busy: "Zbyt wiele pytań naraz. Spróbuj za kilka sekund.", retry: "Ponów", city: "Miasto", topic: "Temat", any: "Wszystkie", starters: ["Jak miasta prowadzą kampanie przeciw plotkom?"], thinking: "Szukam w materiałach ICC…", submit: "Wyślij opinię" },
    el: { title: "Βοηθός ICC", open: "Ερωτήσεις για τις διαπολιτισμικές πόλεις", placeholder: "Κάντε μια ερώτηση στη γλώσσα σας", send: "Αποστολή", stop: "Διακοπή", fresh: "Νέα συζήτηση", close: "Κλείσιμο", sources: "Πηγές", copy: "Αντιγραφή", copied: "Αντιγράφηκε", up: "Χρήσιμο", down: "Όχι χρήσιμο", reason: "Τι δεν πήγε καλά; (προαιρετικό)", thanks: "Ευχαριστούμε για τα σχόλιά σας.", error: "Ο βοηθός δεν είναι διαθέσιμος.", busy: "Πάρα πολλές ερωτήσεις μαζί. Δοκιμάστε ξανά σε λίγα δευτερόλεπτα.", retry: "Επανάληψη", city: "Πόλη", topic: "Θέμα", any: "Όλα", starters: ["Πώς οργανώνουν οι πόλεις εκστρατείες κατά των φημών;"], thinking: "Αναζήτηση στο υλικό του ICC…", submit: "Αποστολή σχολίων" },
    tr: { title: "ICC Asistanı", open: "Kültürlerarası şehirler hakkında sorun", placeholder: "Kendi dilinizde bir soru sorun", send: "Gönder", stop: "Durdur", fresh: "Yeni sohbet", close: "Kapat", sources: "Kaynaklar", copy: "Kopyala", copied: "Kopyalandı", up: "Yararlı", down: "Yararlı değil", reason: "Sorun neydi? (isteğe bağlı)", thanks: "Geri bildiriminiz için teşekkürler.", error: "Asistana ulaşılamıyor.", busy: "Aynı anda çok fazla soru. Birkaç saniye sonra yeniden deneyin.", retry: "Yeniden dene", city: "Şehir", topic: "Konu", any: "Tümü", starters: ["Şehirler söylentiyle mücadele kampanyalarını nasıl yürütüyor?"], thinking: "ICC belgelerinde aranıyor…", submit: "Geri bildirim gönder" },
    ru: { title: "Помощник ICC", open: "Вопросы о межкультурных городах", placeholder: "Задайте вопрос на своём языке", send: "Отправить", stop: "Стоп", fresh: "Новый разговор", close: "Закрыть", sources: "Источники", copy: "Копировать", copied: "Скопировано", up: "Полезно", down: "Бесполезно", reason: "Что было не так? (необязательно)", thanks: "Спасибо за отзыв.", error: "Помощник недоступен.", busy: "Слишком много вопросов сразу. Повторите через несколько секунд.", retry: "Повторить", city: "Город", topic: "Тема", any: "Все", starters: ["Как города проводят кампании против слухов?"], thinking: "Поиск в материалах ICC…", submit: "Отправить отзыв" },
    uk: { title: "Помічник ICC", open: "Запитання про міжкультурні міста", placeholder: "Поставте запитання своєю мовою", send: "Надіслати", stop: "Стоп", fresh: "Нова розмова", close: "Закрити", sources: "Джерела", copy: "Копіювати", copied: "Скопійовано", up: "Корисно", down: "Некорисно", reason: "Що було не так? (необов'язково)", thanks: "Дякуємо за відгук.", error: "Помічник недоступний.", busy: "Забагато запитань одночасно. Спробуйте за кілька секунд.", retry: "Повторити", city: "Місто", topic: "Тема", any: "Усі", starters: ["Як міста проводять кампанії проти чуток?"], thinking: "Пошук у матеріалах ICC…", submit: "Надіслати відгук" },
    ko: { title: "ICC 도우미", open: "상호문화도시에 대해 질문하기", placeholder: "원하는 언어로 질문하세요", send: "보내기", stop: "중지", fresh: "새 대화", close: "닫기", sources: "출처", copy: "복사", copied: "복사됨", up: "도움이 됨", down: "도움이 안 됨", reason: "무엇이 문제였나요? (선택)", thanks: "의견을 보내 주셔서 감사합니다.", error: "도우미에 연결할 수 없습니다.", busy: "질문이 너무 많습니다. 몇 초 후 다시 시도하세요.", retry: "다시 시도", city: "도시", topic: "주제", any: "전체", starters: ["도시들은 반루머 캠페인을 어떻게 운영하나요?", "안산시는 외국인 주민을 위해 무엇을 하나요?"], thinking: "ICC 자료를 검색하는 중…", submit: "의견 보내기" },
    ja: { title: "ICCアシスタント", open: "インターカルチュラル・シティについて質問", placeholder: "お好きな言語で質問してください", send: "送信", stop: "停止", fresh: "新しい会話", close: "閉じる", sources: "出典", copy: "コピー", copied: "コピーしました", up: "役に立った", down: "役に立たない", reason: "何が問題でしたか?(任意)", thanks: "ご意見ありがとうございます。", error: "アシスタントに接続できません。", busy: "質問が多すぎます。数秒後にもう一度お試しください。", retry: "再試行", city: "都市", topic: "テーマ", any: "すべて", starters: ["都市は反うわさキャンペーンをどのように行っていますか?"], thinking: "ICCの資料を検索しています…", submit: "送信" },
    zh: { title: "ICC 助手", open: "咨询跨文化城市", placeholder: "用任何语言提问", send: "发送", stop: "停止", fresh: "新对话", close: "关闭", sources: "来源", copy: "复制", copied: "已复制", up: "有帮助", down: "没有帮助", reason: "哪里有问题?(可选)", thanks: "感谢您的反馈。", error: "无法连接助手。", busy: "提问过于频繁,请几秒后再试。", retry: "重试", city: "城市", topic: "主题", any: "全部", starters: ["城市如何开展反谣言运动?"], thinking: "正在检索 ICC 资料…", submit: "提交反馈" },
    ar: { title: "مساعد المدن المتعددة الثقافات", open: "اسأل عن المدن المتعددة الثقافات", placeholder: "اطرح سؤالك بأي لغة", send: "إرسال", stop: "إيقاف", fresh: "محادثة جديدة", close: "إغلاق", sources: "المصادر", copy: "نسخ", copied: "تم النسخ", up: "مفيد", down: "غير مفيد", reason: "ما المشكلة؟ (اختياري)", thanks: "شكرًا على ملاحظاتك.", error: "تعذّر الوصول إلى المساعد.", busy: "أسئلة كثيرة في وقت واحد. حاول مجددًا بعد ثوانٍ.", retry: "إعادة المحاولة", city: "المدينة", topic: "الموضوع", any: "الكل", starters: ["كيف تنظم المدن حملات مكافحة الشائعات؟"], thinking: "جارٍ البحث في مواد البرنامج…", submit: "إرسال الملاحظات" }
  };
  var RTL = { ar: true, he: true, fa: true, ur: true };

  function pickLanguage() {
    var wanted = [(script && script.getAttribute("data-lang")) || "", document.documentElement.lang || ""]
      .concat(navigator.languages || [navigator.language || "en"]);
    for (var i = 0; i < wanted.length; i++) {
      var code = String(wanted[i]).toLowerCase().split("-")[0];
      if (STRINGS[code]) return code;
    }
    return "en";
  }
  var LANG = pickLanguage();
  var T = STRINGS[LANG];

  var CSS = [
    ":host{all:initial;font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#1a1a1a}",
    "*{box-sizing:border-box}",
    ".launcher{position:fixed;bottom:20px;inset-inline-end:20px;z-index:2147483000;background:#003f8a;color:#fff;border:0;border-radius:28px;padding:14px 20px;font-size:15px;cursor:pointer;box-shadow:0 4px 14px rgba(0,0,0,.25)}",
    ".launcher:focus-visible,button:focus-visible,textarea:focus-visible,select:focus-visible,a:focus-visible{outline:3px solid #ffbf47;outline-offset:2px}",
    ".panel{position:fixed;bottom:84px;inset-inline-end:20px;z-index:2147483000;width:min(420px,calc(100vw - 24px));height:min(640px,calc(100vh - 110px));background:#fff;border:1px solid #c8cdd3;border-radius:12px;box-shadow:0 8px 30px rgba(0,0,0,.25);display:flex;flex-direction:column;overflow:hidden}",
    ".inline .panel{position:static;width:100%;height:600px;box-shadow:none}",
    ".panel[hidden]{display:none}",
    "header{display:flex;align-items:center;gap:8px;background:#003f8a;color:#fff;padding:10px 12px}",
    "header h2{font-size:16px;margin:0;flex:1}",
    "header button{background:transparent;color:#fff;border:1px solid rgba(255,255,255,.6);border-radius:6px;padding:4px 8px;font-size:13px;cursor:pointer}",
    ".filters{display:flex;gap:8px;padding:8px 12px;border-bottom:1px solid #e3e6ea;flex-wrap:wrap;font-size:13px}",
    ".filters label{display:flex;gap:4px;align-items:center}",
    ".filters select{max-width:150px;font-size:13px}",
    ".log{flex:1;overflow-y:auto;padding:12px;display:flex;flex-direction:column;gap:10px}",
    ".msg{max-width:100%;padding:10px 12px;border-radius:10px;line-height:1.45;font-size:14px;overflow-wrap:anywhere}",
    ".user{align-self:flex-end;background:#e8f0fb;max-width:85%}",
    ".bot{align-self:stretch;background:#f6f7f9;border:1px solid #e3e6ea}",
    ".bot p{margin:0 0 8px}.bot ul{margin:0 0 8px;padding-inline-start:20px}",
    ".cite{background:none;border:0;color:#003f8a;text-decoration:underline;cursor:pointer;padding:0 1px;font:inherit;font-weight:600}",
    ".sources{margin-top:8px;border-top:1px solid #dde1e6;padding-top:6px;font-size:13px}",
    ".sources h3{font-size:13px;margin:0 0 4px}",
    ".source{padding:6px;border-radius:6px;margin-bottom:4px}",
    ".source.active{background:#fff5d6;outline:2px solid #e0a800}",
    ".source blockquote{margin:4px 0;padding-inline-start:8px;border-inline-start:3px solid #c8cdd3;color:#333;max-height:8em;overflow:auto}",
    ".tools{display:flex;gap:6px;margin-top:6px;flex-wrap:wrap}",
    ".tools button{font-size:12px;border:1px solid #c8cdd3;background:#fff;border-radius:6px;padding:3px 8px;cursor:pointer;color:#1a1a1a}",
    ".tools button[aria-pressed=true]{background:#003f8a;color:#fff}",
    ".reason{display:flex;gap:6px;margin-top:6px}.reason input{flex:1;font-size:13px;padding:4px}",
    ".starters{display:flex;flex-direction:column;gap:6px}",
    ".starters button{text-align:start;border:1px solid #c8cdd3;background:#fff;border-radius:8px;padding:8px;cursor:pointer;font-size:13px;color:#1a1a1a}",
    ".error{background:#fdecea;border:1px solid #d93025;color:#7a1c14}",
    ".error button{margin-inline-start:8px}",
    "form{display:flex;gap:6px;padding:10px;border-top:1px solid #e3e6ea}",
    "textarea{flex:1;resize:none;font:inherit;font-size:14px;padding:8px;border:1px solid #8a949e;border-radius:8px;min-height:42px;max-height:120px}",
    "form button{border:0;border-radius:8px;padding:0 14px;font-size:14px;cursor:pointer;background:#003f8a;color:#fff}",
    "form button.stop{background:#a52714}",
    ".sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}",
    "@media (max-width:480px){.panel{inset-inline-end:0;bottom:0;width:100vw;height:calc(100vh - 70px);border-radius:12px 12px 0 0}.launcher{bottom:12px;inset-inline-end:12px}}"
  ].join("\n");

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      if (key === "text") node.textContent = attrs[key];
      else if (key.slice(0, 2) === "on") node.addEventListener(key.slice(2), attrs[key]);
      else node.setAttribute(key, attrs[key]);
    });
    (children || []).forEach(function (child) { if (child) node.appendChild(child); });
    return node;
  }

  // -- safe markdown: text nodes only --------------------------------------------------------
  function inline(text, target, onCite) {
    var pattern = /(\*\*[^*]+\*\*|\*[^*\s][^*]*\*|_[^_\s][^_]*_|\[\d{1,3}\]|https?:\/\/[^\s)]+)/g;
    var last = 0, match;
    while ((match = pattern.exec(text)) !== null) {
      if (match.index > last) target.appendChild(document.createTextNode(text.slice(last, match.index)));
      var token = match[0];
      if (token.charAt(0) === "[") {
        var number = token.slice(1, -1);
        target.appendChild(el("button", { "class": "cite", type: "button", "aria-label": T.sources + " " + number, "data-cite": number, text: token, onclick: function (n) { return function () { onCite(n); }; }(number) }));
      } else if (token.slice(0, 2) === "**") {
        target.appendChild(el("strong", { text: token.slice(2, -2) }));
      } else if (token.charAt(0) === "*" || token.charAt(0) === "_") {
        target.appendChild(el("em", { text: token.slice(1, -1) }));
      } else {
        target.appendChild(el("a", { href: token, target: "_blank", rel: "noopener noreferrer", text: token }));
      }
      last = match.index + token.length;
    }
    if (last < text.length) target.appendChild(document.createTextNode(text.slice(last)));
  }

  function renderMarkdown(text, target, onCite) {
    target.textContent = "";
    var list = null;
    text.split(/\n/).forEach(function (line) {
      var item = /^\s*[-*]\s+(.*)$/.exec(line);
      if (item) {
        if (!list) { list = el("ul"); target.appendChild(list); }
        var li = el("li"); inline(item[1], li, onCite); list.appendChild(li);
        return;
      }
      list = null;
      if (line.trim()) { var p = el("p"); inline(line, p, onCite); target.appendChild(p); }
    });
  }

  // -- state -------------------------------------------------------------------------------
  function loadConversation() {
    try { return JSON.parse(sessionStorage.getItem(STORE_KEY) || "[]"); } catch (e) { return []; }
  }
  function saveConversation(turns) {
    try { sessionStorage.setItem(STORE_KEY, JSON.stringify(turns.slice(-20))); } catch (e) { /* private mode */ }
  }

  function mount() {
    var inlineMode = script && script.getAttribute("data-mode") === "inline";
    var hostEl = inlineMode && document.querySelector(script.getAttribute("data-target") || "")
      || document.body.appendChild(document.createElement("div"));
    hostEl.setAttribute("data-icc-assistant", "");
    var root = hostEl.attachShadow({ mode: "open" });
    root.appendChild(el("style", { text: CSS }));
    var wrapper = el("div", { "class": inlineMode ? "inline" : "floating", lang: LANG, dir: RTL[LANG] ? "rtl" : "ltr" });
    root.appendChild(wrapper);

    var turns = loadConversation();
    var controller = null;
    var lastQuestion = null;

    var log = el("div", { "class": "log", role: "log", "aria-live": "polite", "aria-relevant": "additions text" });
    var status = el("div", { "class": "sr", role: "status", "aria-live": "assertive" });
    var input = el("textarea", { rows: "2", placeholder: T.placeholder, "aria-label": T.placeholder, maxlength: "2000" });
    var sendButton = el("button", { type: "submit", text: T.send });
    var citySelect = el("select", { "aria-label": T.city }, [el("option", { value: "", text: T.any })]);
    var topicSelect = el("select", { "aria-label": T.topic }, [el("option", { value: "", text: T.any })]);
    var form = el("form", { onsubmit: function (event) { event.preventDefault(); if (controller) stop(); else ask(input.value); } }, [input, sendButton]);
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); form.requestSubmit(); }
    });
    var closeButton = el("button", { type: "button", text: T.close, onclick: function () { toggle(false); } });
    var panel = el("section", { "class": "panel", role: "dialog", "aria-label": T.title }, [
      el("header", {}, [el("h2", { text: T.title }),
        el("button", { type: "button", text: T.fresh, onclick: reset }),
        inlineMode ? null : closeButton]),
      el("div", { "class": "filters" }, [el("label", {}, [document.createTextNode(T.city), citySelect]),
        el("label", {}, [document.createTextNode(T.topic), topicSelect])]),
      log, status, form
    ]);
    var launcher = el("button", { "class": "launcher", type: "button", "aria-expanded": "false", text: T.open, onclick: function () { toggle(panel.hidden); } });
    if (!inlineMode) { panel.hidden = true; wrapper.appendChild(launcher); }
    wrapper.appendChild(panel);

    root.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && !inlineMode && !panel.hidden) toggle(false);
    });

    function toggle(open) {
      panel.hidden = !open;
      launcher.setAttribute("aria-expanded", String(open));
      if (open) input.focus(); else launcher.focus();
    }

    function reset() {
      if (controller) stop();
      turns = []; saveConversation(turns); log.textContent = ""; showStarters(); input.focus();
    }

    function showStarters() {
      if (turns.length) return;
      var box = el("div", { "class": "starters" });
      (T.starters || STRINGS.en.starters).forEach(function (q) {
        box.appendChild(el("button", { type: "button", text: q, onclick: function () { box.remove(); ask(q); } }));
      });
      log.appendChild(box);
    }

    function loadFacets() {
      fetch(API + "/api/facets", { credentials: "omit" }).then(function (r) { return r.ok ? r.json() : null; })
        .then(function (facets) {
          if (!facets) return;
          facets.cities.forEach(function (f) { citySelect.appendChild(el("option", { value: f.value, text: f.value + " (" + f.count + ")" })); });
          facets.topics.forEach(function (f) { topicSelect.appendChild(el("option", { value: f.value, text: f.value })); });
        }).catch(function () { /* filters stay optional */ });
    }

    function addUser(text) { log.appendChild(el("div", { "class": "msg user", text: text })); }

    function renderSources(box, citations, focus) {
      box.textContent = "";
      if (!citations.length) return;
      box.appendChild(el("h3", { text: T.sources }));
      citations.forEach(function (c) {
        var where = [c.city, c.country, c.year].filter(Boolean).join(", ");
        var item = el("div", { "class": "source", id: "src-" + c.number, tabindex: "-1", "data-number": String(c.number) }, [
          el("strong", { text: "[" + c.number + "] " + c.title }),
          el("div", { text: [where, c.section].filter(Boolean).join(" · ") }),
          el("blockquote", { lang: c.language || "en", text: c.quote }),
          c.url ? el("a", { href: c.url, target: "_blank", rel: "noopener noreferrer", text: c.url }) : el("div", { text: c.source })
        ]);
        box.appendChild(item);
      });
      if (focus) focus();
    }

    function addBot(turn) {
      var body = el("div");
      var sources = el("div", { "class": "sources" });
      var tools = el("div", { "class": "tools" });
      var bubble = el("div", { "class": "msg bot" }, [body, sources, tools]);
      log.appendChild(bubble);
      function openCitation(n) {
        var target = sources.querySelector('[data-number="' + n + '"]');
        if (!target) return;
        sources.querySelectorAll(".source").forEach(function (s) { s.classList.remove("active"); });
        target.classList.add("active"); target.focus(); target.scrollIntoView({ block: "nearest" });
      }
      function paint() { renderMarkdown(turn.text || "", body, openCitation); renderSources(sources, turn.citations || []); }
      function finish() {
        tools.textContent = "";
        if (!turn.answer_id) return;
        var copy = el("button", { type: "button", text: T.copy, onclick: function () {
          navigator.clipboard && navigator.clipboard.writeText(turn.text).then(function () { copy.textContent = T.copied; });
        } });
        var up = el("button", { type: "button", "aria-pressed": "false", text: "👍 " + T.up, onclick: function () { rate("up"); } });
        var down = el("button", { type: "button", "aria-pressed": "false", text: "👎 " + T.down, onclick: function () { rate("down"); } });
        tools.appendChild(copy); tools.appendChild(up); tools.appendChild(down);
        function rate(rating) {
          up.setAttribute("aria-pressed", String(rating === "up")); down.setAttribute("aria-pressed", String(rating === "down"));
          if (rating === "up") return send(rating, null);
          var reasonInput = el("input", { type: "text", maxlength: "2000", "aria-label": T.reason, placeholder: T.reason });
          var box = el("div", { "class": "reason" }, [reasonInput, el("button", { type: "button", text: T.submit, onclick: function () { send("down", reasonInput.value || null); box.remove(); } })]);
          tools.appendChild(box); reasonInput.focus();
        }
        function send(rating, reason) {
          fetch(API + "/api/feedback", { method: "POST", credentials: "omit", headers: { "Content-Type": "application/json" },
            body: JSON.stringify({ answer_id: turn.answer_id, rating: rating, reason: reason, question: turn.question }) })
            .then(function (r) { if (r.ok) status.textContent = T.thanks; });
        }
      }
      paint(); finish();
      return { paint: paint, finish: finish, bubble: bubble };
    }

    function showError(message, question) {
      var retry = el("button", { type: "button", text: T.retry, onclick: function () { box.remove(); ask(question, true); } });
      var box = el("div", { "class": "msg error", role: "alert" }, [document.createTextNode(message), retry]);
      log.appendChild(box); retry.focus();
    }

    function setBusy(busy, keepFocus) {
      sendButton.textContent = busy ? T.stop : T.send;
      sendButton.className = busy ? "stop" : "";
      input.disabled = busy;
      if (!busy && !keepFocus) input.focus();
    }

    function stop() { if (controller) controller.abort(); }

    function ask(question, isRetry) {
      question = (question || "").trim();
      if (!question || controller) return;
      var starters = log.querySelector(".starters"); if (starters) starters.remove();
      if (!isRetry) addUser(question);
      input.value = "";
      lastQuestion = question;
      var history = turns.slice(-10).reduce(function (acc, t) {
        acc.push({ role: "user", content: t.question }); acc.push({ role: "assistant", content: t.text || "" }); return acc;
      }, []);
      var filters = {};
      if (citySelect.value) filters.city = citySelect.value;
      if (topicSelect.value) filters.topic = topicSelect.value;
      var turn = { question: question, text: "", citations: [], answer_id: null };
      var view = null, failed = false;
      controller = new AbortController();
      setBusy(true);
      status.textContent = T.thinking;
      fetch(API + "/api/chat/stream", {
        method: "POST", credentials: "omit", signal: controller.signal,
        headers: { "Content-Type": "application/json", "Accept": "text/event-stream" },
        body: JSON.stringify({ question: question, history: history, filters: filters })
      }).then(function (response) {
        if (response.status === 429) throw { busy: true };
        if (!response.ok) return response.json().then(function (e) { throw { server: e.error && e.error.message }; }, function () { throw {}; });
        view = addBot(turn);
        return readStream(response.body.getReader(), function (event, data) {
          if (event === "meta") turn.answer_id = data.answer_id;
          else if (event === "token") { turn.text += data.text; view.paint(); }
          else if (event === "citations") { turn.citations = data.citations; view.paint(); }
          else if (event === "done") { turn.answer_id = data.answer_id; }
          else if (event === "error") throw { server: data.message };
        });
      }).then(function () {
        if (view) { view.finish(); turns.push(turn); saveConversation(turns); status.textContent = ""; }
      }).catch(function (problem) {
        if (problem && problem.name === "AbortError") {
          if (view) { turn.text += " …"; view.paint(); turns.push(turn); saveConversation(turns); }
          status.textContent = "";
          return;
        }
        if (view) view.bubble.remove();
        failed = true;
        // Only messages the server wrote are shown; network failures get the plain text.
        showError(problem && problem.busy ? T.busy : (problem && problem.server) || T.error, question);
      }).then(function () { controller = null; setBusy(false, failed); });
    }

    function readStream(reader, onEvent) {
      var decoder = new TextDecoder(), buffer = "";
      function pump() {
        return reader.read().then(function (chunk) {
          if (chunk.done) return;
          buffer += decoder.decode(chunk.value, { stream: true });
          var parts = buffer.split(/\r?\n\r?\n/);
          buffer = parts.pop();
          parts.forEach(function (part) {
            var event = "message", data = "";
            part.split(/\r?\n/).forEach(function (line) {
              if (line.indexOf("event:") === 0) event = line.slice(6).trim();
              else if (line.indexOf("data:") === 0) data += line.slice(5).trim();
            });
            if (data) onEvent(event, JSON.parse(data));
          });
          return pump();
        });
      }
      return pump();
    }

    turns.forEach(function (t) { addUser(t.question); addBot(t); });
    showStarters();
    loadFacets();
    if (inlineMode) panel.hidden = false;
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", mount);
  else mount();
})();
