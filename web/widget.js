/* ICC Assistant chat widget: one script tag, no third-party dependencies, no build step.
 *
 *   <script src="https://HOST/widget.js" data-api="https://HOST" defer></script>
 *
 * data-api     base URL of the service ("" = the page's own origin)
 * data-lang    interface language (else <html lang>, else the browser's languages)
 * data-mode    "inline" renders into data-target (a CSS selector) instead of a floating launcher
 * data-filters "off" hides the city/topic filters; data-city / data-topic preselect them
 * data-starters suggested questions separated by "|" (else the built-in ones)
 *
 * Everything lives in a shadow root, so host CSS cannot reach in and ours cannot leak out; the
 * styles are a constructed stylesheet, so a strict Content-Security-Policy does not block them.
 * No cookies (fetch credentials "omit"), no third-party requests, the conversation is kept in
 * sessionStorage. Model and source text reaches the DOM only as text nodes, never as HTML, and
 * every link shows the host it goes to. When the service needs a key, the widget uses a
 * short-lived token the service issues to this page's origin (POST /api/widget/token).
 *
 * The safe element builder, the markdown renderer, the event-stream reader and the language
 * choice are ES modules the widget shares with the admin console (web/lib/); the widget
 * imports them from the service that served it before it mounts.
 */
(() => {
  "use strict";

  const script = document.currentScript;
  if (!script) return;
  const option = (name) => (script.getAttribute("data-" + name) || "").trim();
  const API = option("api").replace(/\/+$/, "");
  const STORE_KEY = "icc-assistant:" + (API || location.origin);
  const HISTORY_CHARS = 12000;

  // UI strings. Keys missing in a language fall back to English.
  const STRINGS = {
    en: { title: "ICC Assistant", open: "Ask about intercultural cities", placeholder: "Ask a question in any language", send: "Send", stop: "Stop", fresh: "New conversation", close: "Close", sources: "Sources", source: "Source", copy: "Copy", copied: "Copied", up: "Helpful", down: "Not helpful", reason: "What was wrong? (optional)", submit: "Send feedback", thanks: "Thank you for your feedback.", fbError: "The feedback could not be sent.", error: "The assistant cannot be reached. Check your connection and try again.", busy: "Too many questions at once. Try again in a few seconds.", retry: "Retry", city: "City", topic: "Topic", any: "Any", thinking: "Searching the ICC material…", stopped: "Stopped.", brief: "Download brief", briefBusy: "Writing the brief…", briefError: "The brief could not be written.", reviewed: "Reviewed by the ICC secretariat", starters: ["How do cities run anti-rumour campaigns?", "How can a city support schools with many migrant pupils?", "How can foreign residents take part in local decisions?"] },
    fr: { title: "Assistant ICC", open: "Questions sur les cités interculturelles", placeholder: "Posez une question dans votre langue", send: "Envoyer", stop: "Arrêter", fresh: "Nouvelle conversation", close: "Fermer", sources: "Sources", source: "Source", copy: "Copier", copied: "Copié", up: "Utile", down: "Pas utile", reason: "Qu'est-ce qui n'allait pas ? (facultatif)", submit: "Envoyer l'avis", thanks: "Merci pour votre avis.", fbError: "L'avis n'a pas pu être envoyé.", error: "L'assistant est injoignable. Vérifiez votre connexion et réessayez.", busy: "Trop de questions à la fois. Réessayez dans quelques secondes.", retry: "Réessayer", city: "Ville", topic: "Thème", any: "Tous", thinking: "Recherche dans les documents de l'ICC…", stopped: "Arrêté.", brief: "Télécharger la note", briefBusy: "Rédaction de la note…", briefError: "La note n'a pas pu être rédigée.", reviewed: "Relu par le secrétariat de l'ICC", starters: ["Comment les villes mènent-elles des campagnes anti-rumeurs ?", "Comment une ville peut-elle soutenir les écoles accueillant beaucoup d'élèves migrants ?", "Comment les résidents étrangers participent-ils aux décisions locales ?"] },
    de: { title: "ICC-Assistent", open: "Fragen zu interkulturellen Städten", placeholder: "Stellen Sie eine Frage in Ihrer Sprache", send: "Senden", stop: "Stopp", fresh: "Neues Gespräch", close: "Schließen", sources: "Quellen", source: "Quelle", copy: "Kopieren", copied: "Kopiert", up: "Hilfreich", down: "Nicht hilfreich", reason: "Was war falsch? (optional)", submit: "Rückmeldung senden", thanks: "Danke für Ihre Rückmeldung.", fbError: "Die Rückmeldung konnte nicht gesendet werden.", error: "Der Assistent ist nicht erreichbar. Prüfen Sie die Verbindung und versuchen Sie es erneut.", busy: "Zu viele Fragen auf einmal. Bitte gleich noch einmal versuchen.", retry: "Erneut versuchen", city: "Stadt", topic: "Thema", any: "Alle", thinking: "Suche in den ICC-Unterlagen…", stopped: "Abgebrochen.", brief: "Kurzbericht herunterladen", briefBusy: "Der Kurzbericht wird geschrieben…", briefError: "Der Kurzbericht konnte nicht geschrieben werden.", reviewed: "Vom ICC-Sekretariat geprüft", starters: ["Wie führen Städte Anti-Gerüchte-Kampagnen durch?", "Wie kann eine Stadt Schulen mit vielen zugewanderten Kindern unterstützen?"] },
    es: { title: "Asistente ICC", open: "Preguntas sobre ciudades interculturales", placeholder: "Haga una pregunta en su idioma", send: "Enviar", stop: "Detener", fresh: "Nueva conversación", close: "Cerrar", sources: "Fuentes", source: "Fuente", copy: "Copiar", copied: "Copiado", up: "Útil", down: "No útil", reason: "¿Qué falló? (opcional)", submit: "Enviar opinión", thanks: "Gracias por su opinión.", fbError: "No se pudo enviar la opinión.", error: "No se puede contactar con el asistente. Compruebe la conexión e inténtelo de nuevo.", busy: "Demasiadas preguntas a la vez. Inténtelo en unos segundos.", retry: "Reintentar", city: "Ciudad", topic: "Tema", any: "Todas", thinking: "Buscando en los documentos del ICC…", stopped: "Detenido.", brief: "Descargar nota", briefBusy: "Redactando la nota…", briefError: "No se pudo redactar la nota.", reviewed: "Revisado por la secretaría del ICC", starters: ["¿Cómo organizan las ciudades campañas antirrumores?", "¿Cómo participan los residentes extranjeros en las decisiones locales?"] },
    it: { title: "Assistente ICC", open: "Domande sulle città interculturali", placeholder: "Fai una domanda nella tua lingua", send: "Invia", stop: "Ferma", fresh: "Nuova conversazione", close: "Chiudi", sources: "Fonti", source: "Fonte", copy: "Copia", copied: "Copiato", up: "Utile", down: "Non utile", reason: "Cosa non andava? (facoltativo)", submit: "Invia riscontro", thanks: "Grazie per il riscontro.", fbError: "Impossibile inviare il riscontro.", error: "L'assistente non è raggiungibile. Controlla la connessione e riprova.", busy: "Troppe domande insieme. Riprova tra qualche secondo.", retry: "Riprova", city: "Città", topic: "Tema", any: "Tutte", thinking: "Ricerca nei documenti ICC…", stopped: "Interrotto.", brief: "Scarica la nota", briefBusy: "Scrittura della nota…", briefError: "Impossibile scrivere la nota.", reviewed: "Verificato dal segretariato ICC", starters: ["Come organizzano le città le campagne anti-dicerie?", "Come può una città sostenere le scuole con molti alunni migranti?"] },
    pt: { title: "Assistente ICC", open: "Perguntas sobre cidades interculturais", placeholder: "Faça uma pergunta na sua língua", send: "Enviar", stop: "Parar", fresh: "Nova conversa", close: "Fechar", sources: "Fontes", source: "Fonte", copy: "Copiar", copied: "Copiado", up: "Útil", down: "Pouco útil", reason: "O que correu mal? (opcional)", submit: "Enviar opinião", thanks: "Obrigado pela sua opinião.", fbError: "Não foi possível enviar a opinião.", error: "Não é possível contactar o assistente. Verifique a ligação e tente de novo.", busy: "Demasiadas perguntas de uma vez. Tente de novo dentro de segundos.", retry: "Tentar de novo", city: "Cidade", topic: "Tema", any: "Todas", thinking: "A pesquisar nos documentos do ICC…", stopped: "Interrompido.", brief: "Descarregar nota", briefBusy: "A escrever a nota…", briefError: "Não foi possível escrever a nota.", reviewed: "Revisto pelo secretariado do ICC", starters: ["Como é que as cidades fazem campanhas anti-rumores?", "Como podem os residentes estrangeiros participar nas decisões locais?"] },
    nl: { title: "ICC-assistent", open: "Vragen over interculturele steden", placeholder: "Stel een vraag in uw taal", send: "Versturen", stop: "Stoppen", fresh: "Nieuw gesprek", close: "Sluiten", sources: "Bronnen", source: "Bron", copy: "Kopiëren", copied: "Gekopieerd", up: "Nuttig", down: "Niet nuttig", reason: "Wat was er mis? (optioneel)", submit: "Feedback versturen", thanks: "Bedankt voor uw feedback.", fbError: "De feedback kon niet worden verstuurd.", error: "De assistent is niet bereikbaar. Controleer de verbinding en probeer het opnieuw.", busy: "Te veel vragen tegelijk. Probeer het over een paar seconden opnieuw.", retry: "Opnieuw", city: "Stad", topic: "Thema", any: "Alle", thinking: "Zoeken in het ICC-materiaal…", stopped: "Gestopt.", brief: "Notitie downloaden", briefBusy: "De notitie wordt geschreven…", briefError: "De notitie kon niet worden geschreven.", reviewed: "Nagekeken door het ICC-secretariaat", starters: ["Hoe voeren steden anti-geruchtencampagnes?", "Hoe kan een stad scholen met veel migrantenleerlingen steunen?"] },
    pl: { title: "Asystent ICC", open: "Pytania o miasta międzykulturowe", placeholder: "Zadaj pytanie w swoim języku", send: "Wyślij", stop: "Zatrzymaj", fresh: "Nowa rozmowa", close: "Zamknij", sources: "Źródła", source: "Źródło", copy: "Kopiuj", copied: "Skopiowano", up: "Pomocne", down: "Niepomocne", reason: "Co było nie tak? (opcjonalnie)", submit: "Wyślij opinię", thanks: "Dziękujemy za opinię.", fbError: "Nie udało się wysłać opinii.", error: "Nie można połączyć się z asystentem. Sprawdź połączenie i spróbuj ponownie.", busy: "Zbyt wiele pytań naraz. Spróbuj za kilka sekund.", retry: "Ponów", city: "Miasto", topic: "Temat", any: "Wszystkie", thinking: "Szukam w materiałach ICC…", stopped: "Zatrzymano.", brief: "Pobierz notatkę", briefBusy: "Trwa pisanie notatki…", briefError: "Nie udało się napisać notatki.", reviewed: "Sprawdzone przez sekretariat ICC", starters: ["Jak miasta prowadzą kampanie przeciw plotkom?", "Jak miasto może wspierać szkoły z wieloma uczniami-migrantami?"] },
    el: { title: "Βοηθός ICC", open: "Ερωτήσεις για τις διαπολιτισμικές πόλεις", placeholder: "Κάντε μια ερώτηση στη γλώσσα σας", send: "Αποστολή", stop: "Διακοπή", fresh: "Νέα συζήτηση", close: "Κλείσιμο", sources: "Πηγές", source: "Πηγή", copy: "Αντιγραφή", copied: "Αντιγράφηκε", up: "Χρήσιμο", down: "Όχι χρήσιμο", reason: "Τι δεν πήγε καλά; (προαιρετικό)", submit: "Αποστολή σχολίων", thanks: "Ευχαριστούμε για τα σχόλιά σας.", fbError: "Τα σχόλια δεν στάλθηκαν.", error: "Ο βοηθός δεν είναι διαθέσιμος. Ελέγξτε τη σύνδεση και δοκιμάστε ξανά.", busy: "Πάρα πολλές ερωτήσεις μαζί. Δοκιμάστε ξανά σε λίγα δευτερόλεπτα.", retry: "Επανάληψη", city: "Πόλη", topic: "Θέμα", any: "Όλα", thinking: "Αναζήτηση στο υλικό του ICC…", stopped: "Διακόπηκε.", brief: "Λήψη σημειώματος", briefBusy: "Συντάσσεται το σημείωμα…", briefError: "Το σημείωμα δεν μπόρεσε να συνταχθεί.", reviewed: "Ελέγχθηκε από τη γραμματεία του ICC", starters: ["Πώς οργανώνουν οι πόλεις εκστρατείες κατά των φημών;", "Πώς μπορεί μια πόλη να στηρίξει σχολεία με πολλούς μαθητές μετανάστες;"] },
    tr: { title: "ICC Asistanı", open: "Kültürlerarası şehirler hakkında sorun", placeholder: "Kendi dilinizde bir soru sorun", send: "Gönder", stop: "Durdur", fresh: "Yeni sohbet", close: "Kapat", sources: "Kaynaklar", source: "Kaynak", copy: "Kopyala", copied: "Kopyalandı", up: "Yararlı", down: "Yararlı değil", reason: "Sorun neydi? (isteğe bağlı)", submit: "Geri bildirim gönder", thanks: "Geri bildiriminiz için teşekkürler.", fbError: "Geri bildirim gönderilemedi.", error: "Asistana ulaşılamıyor. Bağlantınızı kontrol edip yeniden deneyin.", busy: "Aynı anda çok fazla soru. Birkaç saniye sonra yeniden deneyin.", retry: "Yeniden dene", city: "Şehir", topic: "Konu", any: "Tümü", thinking: "ICC belgelerinde aranıyor…", stopped: "Durduruldu.", brief: "Bilgi notunu indir", briefBusy: "Bilgi notu yazılıyor…", briefError: "Bilgi notu yazılamadı.", reviewed: "ICC sekretaryası tarafından incelendi", starters: ["Şehirler söylentiyle mücadele kampanyalarını nasıl yürütüyor?", "Yabancı sakinler yerel kararlara nasıl katılabilir?"] },
    ru: { title: "Помощник ICC", open: "Вопросы о межкультурных городах", placeholder: "Задайте вопрос на своём языке", send: "Отправить", stop: "Стоп", fresh: "Новый разговор", close: "Закрыть", sources: "Источники", source: "Источник", copy: "Копировать", copied: "Скопировано", up: "Полезно", down: "Бесполезно", reason: "Что было не так? (необязательно)", submit: "Отправить отзыв", thanks: "Спасибо за отзыв.", fbError: "Не удалось отправить отзыв.", error: "Помощник недоступен. Проверьте подключение и повторите попытку.", busy: "Слишком много вопросов сразу. Повторите через несколько секунд.", retry: "Повторить", city: "Город", topic: "Тема", any: "Все", thinking: "Поиск в материалах ICC…", stopped: "Остановлено.", brief: "Скачать справку", briefBusy: "Справка составляется…", briefError: "Не удалось составить справку.", reviewed: "Проверено секретариатом ICC", starters: ["Как города проводят кампании против слухов?", "Как город может поддержать школы, где много детей-мигрантов?"] },
    uk: { title: "Помічник ICC", open: "Запитання про міжкультурні міста", placeholder: "Поставте запитання своєю мовою", send: "Надіслати", stop: "Стоп", fresh: "Нова розмова", close: "Закрити", sources: "Джерела", source: "Джерело", copy: "Копіювати", copied: "Скопійовано", up: "Корисно", down: "Некорисно", reason: "Що було не так? (необов'язково)", submit: "Надіслати відгук", thanks: "Дякуємо за відгук.", fbError: "Не вдалося надіслати відгук.", error: "Помічник недоступний. Перевірте з'єднання і спробуйте ще раз.", busy: "Забагато запитань одночасно. Спробуйте за кілька секунд.", retry: "Повторити", city: "Місто", topic: "Тема", any: "Усі", thinking: "Пошук у матеріалах ICC…", stopped: "Зупинено.", brief: "Завантажити довідку", briefBusy: "Довідка складається…", briefError: "Не вдалося скласти довідку.", reviewed: "Перевірено секретаріатом ICC", starters: ["Як міста проводять кампанії проти чуток?", "Як місто може підтримати школи, де багато дітей-мігрантів?"] },
    ko: { title: "ICC 도우미", open: "상호문화도시에 대해 질문하기", placeholder: "원하는 언어로 질문하세요", send: "보내기", stop: "중지", fresh: "새 대화", close: "닫기", sources: "출처", source: "출처", copy: "복사", copied: "복사됨", up: "도움이 됨", down: "도움이 안 됨", reason: "무엇이 문제였나요? (선택)", submit: "의견 보내기", thanks: "의견을 보내 주셔서 감사합니다.", fbError: "의견을 보내지 못했습니다.", error: "도우미에 연결할 수 없습니다. 연결을 확인한 뒤 다시 시도하세요.", busy: "질문이 너무 많습니다. 몇 초 후 다시 시도하세요.", retry: "다시 시도", city: "도시", topic: "주제", any: "전체", thinking: "ICC 자료를 검색하는 중…", stopped: "중지됨.", brief: "브리핑 내려받기", briefBusy: "브리핑을 작성하는 중…", briefError: "브리핑을 작성하지 못했습니다.", reviewed: "ICC 사무국 검토 완료", starters: ["도시들은 반루머 캠페인을 어떻게 운영하나요?", "외국인 주민은 지역 의사결정에 어떻게 참여할 수 있나요?"] },
    ja: { title: "ICCアシスタント", open: "インターカルチュラル・シティについて質問", placeholder: "お好きな言語で質問してください", send: "送信", stop: "停止", fresh: "新しい会話", close: "閉じる", sources: "出典", source: "出典", copy: "コピー", copied: "コピーしました", up: "役に立った", down: "役に立たない", reason: "何が問題でしたか?(任意)", submit: "意見を送信", thanks: "ご意見ありがとうございます。", fbError: "意見を送信できませんでした。", error: "アシスタントに接続できません。接続を確認して、もう一度お試しください。", busy: "質問が多すぎます。数秒後にもう一度お試しください。", retry: "再試行", city: "都市", topic: "テーマ", any: "すべて", thinking: "ICCの資料を検索しています…", stopped: "停止しました。", brief: "ブリーフをダウンロード", briefBusy: "ブリーフを作成しています…", briefError: "ブリーフを作成できませんでした。", reviewed: "ICC事務局確認済み", starters: ["都市は反うわさキャンペーンをどのように行っていますか?", "外国人住民は地域の意思決定にどのように参加できますか?"] },
    zh: { title: "ICC 助手", open: "咨询跨文化城市", placeholder: "用任何语言提问", send: "发送", stop: "停止", fresh: "新对话", close: "关闭", sources: "来源", source: "来源", copy: "复制", copied: "已复制", up: "有帮助", down: "没有帮助", reason: "哪里有问题?(可选)", submit: "提交反馈", thanks: "感谢您的反馈。", fbError: "反馈未能发送。", error: "无法连接助手。请检查网络连接后重试。", busy: "提问过于频繁,请几秒后再试。", retry: "重试", city: "城市", topic: "主题", any: "全部", thinking: "正在检索 ICC 资料…", stopped: "已停止。", brief: "下载简报", briefBusy: "正在撰写简报…", briefError: "简报未能生成。", reviewed: "经 ICC 秘书处审核", starters: ["城市如何开展反谣言运动?", "外国居民如何参与地方决策?"] },
    ar: { title: "مساعد المدن المتعددة الثقافات", open: "اسأل عن المدن المتعددة الثقافات", placeholder: "اطرح سؤالك بأي لغة", send: "إرسال", stop: "إيقاف", fresh: "محادثة جديدة", close: "إغلاق", sources: "المصادر", source: "المصدر", copy: "نسخ", copied: "تم النسخ", up: "مفيد", down: "غير مفيد", reason: "ما المشكلة؟ (اختياري)", submit: "إرسال الملاحظات", thanks: "شكرًا على ملاحظاتك.", fbError: "تعذّر إرسال الملاحظات.", error: "تعذّر الوصول إلى المساعد. تحقّق من الاتصال وحاول مجددًا.", busy: "أسئلة كثيرة في وقت واحد. حاول مجددًا بعد ثوانٍ.", retry: "إعادة المحاولة", city: "المدينة", topic: "الموضوع", any: "الكل", thinking: "جارٍ البحث في مواد البرنامج…", stopped: "تم الإيقاف.", brief: "تنزيل المذكرة", briefBusy: "جارٍ كتابة المذكرة…", briefError: "تعذّرت كتابة المذكرة.", reviewed: "راجعته أمانة برنامج المدن المتعددة الثقافات", starters: ["كيف تنظم المدن حملات مكافحة الشائعات؟", "كيف يشارك السكان الأجانب في القرارات المحلية؟"] }
  };
  

  /** "Reviewed by the ICC secretariat · 12 March 2026" for an answer's `approved` mark. */
  function reviewedLabel(approved) {
    const day = new Date(String(approved.approved_at) + "T00:00:00Z");
    const date = Number.isNaN(day.getTime()) ? "" : new Intl.DateTimeFormat(LANG, { dateStyle: "long", timeZone: "UTC" }).format(day);
    return T.reviewed + (date ? " · " + date : "");
  }

  // Set by start() once the shared modules (web/lib/) are loaded.
  let LANG = "en";
  let T = STRINGS.en;
  let el, safeUrl, hostOf, link, renderMarkdown, readEvents, fileNameOf, saveBlob;
  let answerForClipboard, copyBoth, plainText, sourceLink;

  const CSS = `
:host{all:initial}
.root{--ink:#1b1f24;--muted:#3d4752;--surface:#fff;--brand:#003f8a;--brand-dark:#002f68;--brand-text:#003f8a;--on-brand:#fff;--line:#dde1e6;--line-strong:#b8bfc7;--field:#6b7580;--accent-soft:#9dbbe3;--link:#0a4da3;--bubble-bot:#f5f6f8;--bubble-user:#e3edfa;--code:#e9ecef;--focus:#b35900;--bad:#7a1d12;--bad-bg:#fdecea;--bad-line:#c0392b;--stop:#a3260f;--ok:#1e6b34;color-scheme:light}
@media (prefers-color-scheme:dark){.root{--ink:#e8eaed;--muted:#b9c1ca;--surface:#1c2026;--brand:#003f8a;--brand-dark:#0b2f5c;--brand-text:#a9c7f0;--on-brand:#fff;--line:#3a414a;--line-strong:#5b6672;--field:#8d99a6;--accent-soft:#4f7bb3;--link:#9cc3ff;--bubble-bot:#242a31;--bubble-user:#1d3456;--code:#2f363e;--focus:#ffbf47;--bad:#ffb8ab;--bad-bg:#3d1f1b;--bad-line:#e07a67;--stop:#a3260f;--ok:#8fe0a2;color-scheme:dark}}
@media (prefers-reduced-motion:reduce){.root *{animation:none!important;transition:none!important;scroll-behavior:auto!important}}
.root{font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;color:var(--ink)}
*{box-sizing:border-box}
[hidden]{display:none!important}
button,input,select,textarea{font:inherit;color:inherit}
button{cursor:pointer}
:focus-visible{outline:3px solid var(--focus);outline-offset:2px}
header :focus-visible{outline-color:#ffbf47}
.launcher{position:fixed;bottom:20px;inset-inline-end:20px;z-index:2147483000;background:var(--brand);color:var(--on-brand);border:2px solid var(--surface);border-radius:28px;padding:12px 20px;box-shadow:0 4px 14px rgba(0,0,0,.3);max-width:calc(100vw - 40px)}
.launcher:hover{background:var(--brand-dark)}
.panel{position:fixed;bottom:84px;inset-inline-end:20px;z-index:2147483001;width:min(420px,calc(100vw - 24px));height:min(660px,calc(100vh - 104px));background:var(--surface);border:1px solid var(--line-strong);border-radius:12px;box-shadow:0 8px 30px rgba(0,0,0,.25);display:flex;flex-direction:column;overflow:hidden}
.inline .panel{position:relative;inset:auto;z-index:auto;width:100%;height:var(--icc-height,600px);box-shadow:none}
header{display:flex;align-items:center;gap:6px;background:var(--brand);color:var(--on-brand);padding:8px 10px 8px 14px}
header h2{font-size:16px;margin:0;flex:1;min-width:0;overflow-wrap:anywhere}
header button{background:transparent;color:var(--on-brand);border:1px solid rgba(255,255,255,.75);border-radius:6px;padding:4px 8px;font-size:13px;line-height:1.3}
header button:hover{background:rgba(255,255,255,.15)}
header .x{font-size:18px;line-height:1;padding:4px 9px}
.filters{display:flex;gap:8px;padding:6px 10px;border-bottom:1px solid var(--line);font-size:13px}
.filters label{display:flex;flex-direction:column;flex:1;min-width:0;color:var(--muted)}
.filters select{width:100%;min-width:0;padding:3px;border:1px solid var(--field);border-radius:6px;background:var(--surface)}
.log:focus-visible{outline-offset:-3px}
.log{flex:1;overflow-y:auto;padding:12px;display:flex;flex-direction:column;gap:10px;overscroll-behavior:contain}
.msg{padding:9px 12px;border-radius:10px;overflow-wrap:anywhere;max-width:100%}
.user{align-self:flex-end;background:var(--bubble-user);max-width:88%;white-space:pre-wrap}
.bot{align-self:stretch;background:var(--bubble-bot);border:1px solid var(--line)}
.body p,.body ul,.body ol,.body blockquote{margin:0 0 .6em}
.body>:last-child{margin-bottom:0}
.body ul,.body ol{padding-inline-start:1.3em}
.body .h{font-weight:700}
.body blockquote{border-inline-start:3px solid var(--line-strong);padding-inline-start:8px;color:var(--muted)}
.body table.figures{border-collapse:collapse;margin:0 0 .6em;font-size:.92em;display:block;overflow-x:auto}
.body table.figures th,.body table.figures td{border:1px solid var(--line-strong);padding:3px 6px;text-align:start;vertical-align:top;word-break:normal;overflow-wrap:normal;white-space:nowrap}
.body table.figures td:last-child{white-space:normal;min-width:8em}
.body table.figures th{background:var(--code);font-weight:600}
.bot .body{container-type:inline-size}
@container (max-width:480px){.body table.figures,.body table.figures tbody,.body table.figures tr,.body table.figures td{display:block}
.body table.figures thead{position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%);white-space:nowrap}
.body table.figures tr{border:1px solid var(--line-strong);border-radius:8px;margin:0 0 6px;padding:4px 0;background:var(--surface)}
.body table.figures td,.body table.figures td:last-child{display:grid;grid-template-columns:minmax(5.5em,36%) minmax(0,1fr);gap:8px;border:0;padding:2px 10px;white-space:normal;overflow-wrap:anywhere;min-width:0}
.body table.figures td>span{justify-self:start;max-width:100%}
.body table.figures td::before{content:attr(data-label);content:attr(data-label) / "";color:var(--muted);font-weight:600;overflow-wrap:anywhere}}
.body code{background:var(--code);border-radius:4px;padding:0 3px;font-family:ui-monospace,monospace;font-size:.92em}
.body a,.source a{color:var(--link)}
.body a .host,.source .host{color:var(--muted);font-size:.9em}
.pending{color:var(--muted);font-style:italic}
.approved{margin:0 0 6px;font-size:13px;color:var(--ok);font-weight:600}
.approved::before{content:"✓";margin-inline-end:5px}
.cite{background:none;border:0;padding:0 1px;color:var(--link);font-weight:700;font-size:.85em;vertical-align:super;line-height:1;text-decoration:underline}
.cite:hover{color:var(--brand-dark)}
.note{font-size:13px;color:var(--muted);margin-top:6px}
.toggle{margin-top:8px;background:var(--surface);border:1px solid var(--field);border-radius:6px;padding:3px 10px;font-size:13px}
.toggle::before{content:"▸";display:inline-block;margin-inline-end:5px}
.toggle[aria-expanded=true]::before{content:"▾"}
.sources{list-style:none;margin:8px 0 0;padding:0;display:flex;flex-direction:column;gap:8px}
.source{background:var(--surface);border:1px solid var(--line);border-radius:8px;padding:8px 10px;font-size:13.5px}
.source.active{border-color:var(--brand-text);box-shadow:0 0 0 2px var(--accent-soft)}
.source .t{font-weight:700}
.source .m{color:var(--muted)}
.body li .lang{font-size:11px;color:var(--muted);border:1px solid var(--line-strong);border-radius:4px;padding:0 3px;white-space:nowrap}
.source blockquote{margin:6px 0;padding-inline-start:8px;border-inline-start:3px solid var(--accent-soft);white-space:pre-wrap}
.tools{display:flex;flex-wrap:wrap;gap:6px;margin-top:8px;align-items:center}
.tools button{background:var(--surface);color:var(--ink);border:1px solid var(--field);border-radius:6px;padding:2px 9px;font-size:13px}
.tools button[aria-pressed=true]{background:var(--brand);color:var(--on-brand);border-color:var(--brand-text)}
.icon svg{width:16px;height:16px;fill:currentColor;vertical-align:-3px}
.brief{display:inline-flex;flex-wrap:wrap;gap:4px;align-items:center;font-size:13px;color:var(--muted)}
.brief .label{margin-inline-start:4px}
.note.bad{color:var(--bad)}
.reason{display:flex;gap:6px;flex-basis:100%;flex-wrap:wrap}
.reason input{flex:1;min-width:140px;padding:4px 6px;border:1px solid var(--field);border-radius:6px}
.thanks{font-size:13px;color:var(--ok)}
.starters{display:flex;flex-direction:column;gap:6px;align-items:flex-start}
.starters button{background:var(--surface);border:1px solid var(--brand);color:var(--brand-text);border-radius:16px;padding:5px 12px;text-align:start;font-size:14px}
.starters button:hover{background:var(--bubble-user)}
.error{background:var(--bad-bg);border:1px solid var(--bad-line);color:var(--bad);display:flex;flex-wrap:wrap;gap:8px;align-items:center;justify-content:space-between}
.error button{background:var(--stop);color:var(--on-brand);border:1px solid var(--on-brand);border-radius:6px;padding:4px 12px}
.compose{display:flex;gap:6px;padding:8px;border-top:1px solid var(--line);align-items:flex-end}
textarea{flex:1;min-width:0;resize:none;padding:8px;border:1px solid var(--field);border-radius:8px;min-height:42px;max-height:140px;background:var(--surface)}
.compose button{border:0;border-radius:8px;padding:0 14px;height:42px;background:var(--brand);color:var(--on-brand)}
.compose button.stop{background:var(--stop)}
.sr{position:absolute;width:1px;height:1px;margin:-1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap;border:0}
@media (max-width:480px){.floating .panel{inset:0;width:100%;height:100%;border-radius:0;border:0}.launcher{bottom:12px;inset-inline-end:12px}}
@media (forced-colors:active){.cite,.toggle,.tools button{border:1px solid ButtonText}}
`;

  /** A thumb icon drawn in SVG (emoji fonts are missing on some systems). */
  function thumb(down) {
    const ns = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    const path = document.createElementNS(ns, "path");
    path.setAttribute("d", "M1 21h4V9H1v12zm22-11c0-1.1-.9-2-2-2h-6.31l.95-4.57.03-.32c0-.41-.17-.79-.44-1.06L14.17 1 7.59 7.59C7.22 7.95 7 8.45 7 9v10c0 1.1.9 2 2 2h9c.83 0 1.54-.5 1.84-1.22l3.02-7.05c.09-.23.14-.47.14-.73v-2z");
    if (down) path.setAttribute("transform", "rotate(180 12 12)");
    svg.append(path);
    return svg;
  }

  // ---- conversation storage ----
  function load(key, fallback) {
    try {
      const value = JSON.parse(sessionStorage.getItem(key));
      return value === null ? fallback : value;
    } catch (e) {
      return fallback;
    }
  }

  function store(key, value) {
    try {
      sessionStorage.setItem(key, JSON.stringify(value));
    } catch (e) {
      /* storage full or disabled: the conversation just is not kept */
    }
  }

  /** Previous turns as chat messages, newest kept first, within the service's history budget. */
  function historyOf(turns) {
    const messages = [];
    let budget = HISTORY_CHARS;
    for (const turn of turns.slice(-6).reverse()) {
      const answer = (turn.text || "").slice(0, 1500);
      budget -= turn.question.length + answer.length;
      if (budget < 0) break;
      messages.unshift({ role: "user", content: turn.question }, { role: "assistant", content: answer });
    }
    return messages;
  }

  function describe(citation) {
    const where = [citation.city, citation.country, citation.year].filter(Boolean).join(", ");
    return [where, citation.section].filter(Boolean).join(" · ");
  }

  /** Mark each list item of a rendered answer that quotes a piece of evidence with the quote's
   * language (its direction isolated by dir=auto), and badge quotes in another language. */
  function markEvidence(body, evidence, language) {
    const items = [];
    for (const group of Array.isArray(evidence) ? evidence : []) {
      for (const item of Array.isArray(group.items) ? group.items : []) {
        if (item && typeof item.text === "string" && typeof item.language === "string") items.push(item);
      }
    }
    if (!items.length) return;
    for (const li of body.querySelectorAll("li")) {
      const found = items.find((item) => li.textContent.includes(item.text));
      if (!found) continue;
      li.setAttribute("lang", found.language);
      li.setAttribute("dir", "auto");
      li.classList.add("quote");
      if (language && found.language !== language) {
        li.append(" ", el("span", { class: "lang", text: found.language.toUpperCase() }));
      }
    }
  }

  /** Why a request failed, as text for the user. */
  async function problemOf(response) {
    if (response.status === 429) {
      const seconds = parseInt(response.headers.get("Retry-After") || "", 10);
      return T.busy + (seconds > 0 ? " (" + seconds + " s)" : "");
    }
    try {
      const body = await response.json();
      if (body && body.error && body.error.message) return String(body.error.message);
    } catch (e) {
      /* not our JSON error shape */
    }
    return T.error + " (HTTP " + response.status + ")";
  }

  class Failure extends Error {}

  // ---- access: a short-lived widget token when the service needs a key ----
  // The service answers POST /api/widget/token with a token for this page's origin (sent by the
  // browser), or with null when it is open to all. Kept in memory only, renewed before it
  // expires, and once more if the service refuses it (expired, or the address changed).
  let token = null;
  let tokenUntil = 0;
  let tokenRequest = null;

  function widgetToken(renew) {
    if (!renew && Date.now() < tokenUntil) return Promise.resolve(token);
    if (!tokenRequest) {
      tokenRequest = (async () => {
        try {
          const response = await fetch(API + "/api/widget/token", { method: "POST", credentials: "omit" });
          if (!response.ok) return null; // the call itself will say what is wrong
          const body = await response.json();
          token = typeof body.token === "string" ? body.token : null;
          tokenUntil = Date.now() + Math.max(0, (Number(body.expires_in) || 0) - 30) * 1000;
          return token;
        } catch (e) {
          return null;
        } finally {
          tokenRequest = null;
        }
      })();
    }
    return tokenRequest;
  }

  /** fetch() a path of the service without cookies, with the widget token when there is one. */
  async function call(path, init) {
    for (let attempt = 0; ; attempt++) {
      const current = await widgetToken(attempt > 0);
      const headers = Object.assign({}, (init && init.headers) || {});
      if (current) headers["X-Widget-Token"] = current;
      const response = await fetch(API + path, Object.assign({}, init, { headers, credentials: "omit" }));
      if (response.status !== 401 || !current || attempt > 0) return response;
      tokenUntil = 0;
    }
  }

  // ---- the widget ----
  function mount() {
    const inlineMode = option("mode") === "inline";
    const target = inlineMode ? document.querySelector(option("target") || "#icc-assistant") : null;
    const host = target || document.body.appendChild(el("div"));
    if (host.shadowRoot) return; // already mounted here
    host.setAttribute("data-icc-assistant", "");
    const shadow = host.attachShadow({ mode: "open" });
    adoptStyles(shadow);
    const inline = Boolean(target);
    const root = el("div", { class: "root " + (inline ? "inline" : "floating"), lang: LANG, dir: textDirection(LANG) });
    if (inline && option("height")) root.style.setProperty("--icc-height", option("height"));
    shadow.append(root);

    let turns = load(STORE_KEY, []);
    if (!Array.isArray(turns)) turns = [];
    let controller = null;
    let facetsLoaded = false;

    // One live region says everything a screen reader is told, once each: that the question is
    // being searched, the whole answer when it is complete (not each streamed word), that it was
    // copied or rated. The conversation itself is a log whose own announcements are off, or every
    // repaint of a streaming answer and every button added under it would be read out again.
    const status = el("div", { class: "sr", role: "status", "aria-live": "polite" });
    const log = el("div", { class: "log", role: "log", "aria-live": "off", "aria-label": T.title, tabindex: "0" });
    const input = el("textarea", { rows: "1", placeholder: T.placeholder, "aria-label": T.placeholder, maxlength: "2000", enterkeyhint: "send" });
    const sendButton = el("button", { type: "submit", text: T.send });
    const form = el("form", { class: "compose", onsubmit: (event) => { event.preventDefault(); if (controller) controller.abort(); else ask(input.value); } }, [input, sendButton]);
    const citySelect = el("select", {}, [el("option", { value: "", text: T.any })]);
    const topicSelect = el("select", {}, [el("option", { value: "", text: T.any })]);
    const filters = el("div", { class: "filters", hidden: true }, [
      el("label", {}, [T.city, citySelect]),
      el("label", {}, [T.topic, topicSelect])
    ]);
    const titleId = "icc-title";
    const launcher = el("button", { class: "launcher", type: "button", "aria-expanded": "false", "aria-controls": "icc-panel", text: T.open, onclick: () => toggle(panel.hidden, true) });
    const panel = el("section", { id: "icc-panel", class: "panel", role: inline ? "region" : "dialog", "aria-labelledby": titleId }, [
      el("header", {}, [
        el("h2", { id: titleId, text: T.title }),
        el("button", { type: "button", text: T.fresh, onclick: reset }),
        inline ? null : el("button", { type: "button", class: "x", "aria-label": T.close, title: T.close, text: "×", onclick: () => toggle(false, true) })
      ]),
      filters, log, status, form
    ]);
    if (!inline) root.append(launcher);
    root.append(panel);

    input.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        if (!controller) ask(input.value);
      }
    });
    input.addEventListener("input", fitInput);
    root.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && !inline && !panel.hidden) {
        event.stopPropagation();
        toggle(false, true);
      }
    });

    function fitInput() {
      input.style.height = "auto";
      input.style.height = Math.min(input.scrollHeight + 2, 140) + "px";
    }

    function announce(text) {
      status.textContent = "";
      if (text) setTimeout(() => { status.textContent = text; }, 50);
    }

    function toggle(open, moveFocus) {
      panel.hidden = !open;
      launcher.hidden = open && matchMedia("(max-width:480px)").matches;
      launcher.setAttribute("aria-expanded", String(open));
      store(STORE_KEY + ":open", open);
      if (open) {
        loadFacets();
        log.scrollTop = log.scrollHeight;
        if (moveFocus) input.focus();
      } else if (moveFocus) {
        launcher.focus();
      }
    }

    function reset() {
      if (controller) controller.abort();
      turns = [];
      store(STORE_KEY, turns);
      log.replaceChildren();
      showStarters();
      input.focus();
    }

    function save() {
      store(STORE_KEY, turns.slice(-20));
    }

    function showStarters() {
      if (turns.length) return;
      const custom = option("starters").split("|").map((s) => s.trim()).filter(Boolean);
      const box = el("div", { class: "starters" });
      for (const question of custom.length ? custom : T.starters) {
        box.append(el("button", { type: "button", text: question, onclick: () => { ask(question); input.focus(); } }));
      }
      log.append(box);
    }

    async function loadFacets() {
      if (facetsLoaded || option("filters") === "off") return;
      facetsLoaded = true;
      const preset = { city: option("city"), topic: option("topic") };
      try {
        const response = await call("/api/facets", {});
        if (!response.ok) throw new Failure(String(response.status));
        const facets = await response.json();
        fillSelect(citySelect, facets.cities, preset.city);
        fillSelect(topicSelect, facets.topics, preset.topic);
        filters.hidden = citySelect.options.length < 2 && topicSelect.options.length < 2;
      } catch (e) {
        facetsLoaded = false; // filters are optional: try again on the next open
      }
    }

    function fillSelect(select, values, preset) {
      for (const facet of Array.isArray(values) ? values : []) {
        const label = facet.count ? facet.value + " (" + facet.count + ")" : facet.value;
        select.append(el("option", { value: facet.value, text: label, selected: facet.value === preset }));
      }
    }

    function chosenFilters() {
      const chosen = {};
      const city = citySelect.value || option("city");
      const topic = topicSelect.value || option("topic");
      if (city && (citySelect.value || filters.hidden)) chosen.city = city;
      if (topic && (topicSelect.value || filters.hidden)) chosen.topic = topic;
      return Object.keys(chosen).length ? chosen : null;
    }

    /** Run `change`, then follow the new content if the reader was at the bottom of the log,
     * but never so far that the question being answered leaves the top. */
    function keepAtBottom(change) {
      const atBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 80;
      change();
      if (!atBottom) return;
      const questions = log.querySelectorAll(".msg.user");
      const question = questions[questions.length - 1];
      const limit = question ? log.scrollTop + offsetInLog(question) : Infinity;
      log.scrollTop = Math.min(log.scrollHeight, limit);
    }

    /** How far below the top of the log's visible area `message` starts (less a margin). */
    function offsetInLog(message) {
      return message.getBoundingClientRect().top - log.getBoundingClientRect().top - 8;
    }

    function addUser(text) {
      const message = el("div", { class: "msg user", dir: "auto", text });
      log.append(message);
      return message;
    }

    /** Scroll the log so that `message` stands at its top: the answer then grows below it. */
    function showFromTop(message) {
      log.scrollTop += offsetInLog(message);
    }

    /** One answer bubble; paint() re-renders it from `turn`, finish() adds sources and tools. */
    function addBot(turn) {
      const body = el("div", { class: "body", dir: "auto" });
      const extra = el("div");
      const badge = el("p", { class: "approved", hidden: true });
      const bubble = el("div", { class: "msg bot" }, [badge, body, extra]);
      log.append(bubble);
      let sourcesList = null;
      let toggleButton = null;

      const numbers = () => new Set((turn.citations || []).map((c) => Number(c.number)));
      function cite(n) {
        if (turn.done && !numbers().has(n)) return "[" + n + "]";
        return el("button", { type: "button", class: "cite", "aria-label": T.source + " " + n, text: "[" + n + "]", onclick: () => openSource(n) });
      }

      function paint() {
        keepAtBottom(() => {
          if (turn.language) body.setAttribute("lang", turn.language);
          badge.hidden = !turn.approved;
          if (turn.approved) badge.textContent = reviewedLabel(turn.approved);
          if (turn.text) renderMarkdown(turn.text, body, cite);
          else body.replaceChildren(el("p", { class: "pending", text: T.thinking }));
          if (turn.done) markEvidence(body, turn.evidence, turn.language);
        });
      }

      function openSource(n) {
        if (!sourcesList) return;
        showSources(true);
        const item = sourcesList.querySelector('[data-number="' + n + '"]');
        if (!item) return;
        for (const other of sourcesList.children) other.classList.remove("active");
        item.classList.add("active");
        item.focus({ preventScroll: true });
        item.scrollIntoView({ block: "nearest" });
      }

      function showSources(open) {
        sourcesList.hidden = !open;
        toggleButton.setAttribute("aria-expanded", String(open));
      }

      function sourceItem(c) {
        const url = sourceLink(c, turn.evidence); // opens the page at the sentences quoted
        const name = c.title || c.source || "";
        const title = url
          ? [link(url, name), el("span", { class: "host", text: " (" + hostOf(url) + ")" })]
          : [name];
        return el("li", { class: "source", tabindex: "-1", "data-number": String(c.number) }, [
          el("div", { class: "t", dir: "auto" }, ["[" + c.number + "] "].concat(title)),
          describe(c) ? el("div", { class: "m", dir: "auto", text: describe(c) }) : null,
          c.quote ? el("blockquote", { lang: c.language || null, dir: "auto", text: c.quote }) : null,
          !url && c.source ? el("div", { class: "m", dir: "auto", text: c.source }) : null
        ]);
      }

      function addSources() {
        const citations = Array.isArray(turn.citations) ? turn.citations : [];
        if (!citations.length) return;
        const id = "icc-src-" + Math.random().toString(36).slice(2, 10);
        sourcesList = el("ol", { class: "sources", id, hidden: true }, citations.map(sourceItem));
        toggleButton = el("button", { type: "button", class: "toggle", "aria-expanded": "false", "aria-controls": id, text: T.sources + " (" + citations.length + ")", onclick: () => showSources(sourcesList.hidden) });
        extra.append(toggleButton, sourcesList);
      }

      function addTools() {
        if (turn.stopped) extra.append(el("div", { class: "note", text: T.stopped }));
        const tools = el("div", { class: "tools" });
        const copy = el("button", { type: "button", text: T.copy, onclick: async () => {
          if (await copyBoth(answerForClipboard(body, turn.citations, turn.evidence, T.sources, describe), shadow)) {
            copy.textContent = T.copied;
            announce(T.copied);
            setTimeout(() => { copy.textContent = T.copy; }, 2000);
          }
        } });
        tools.append(copy, briefTools());
        if (turn.answer_id) addRating(tools);
        extra.append(tools);
      }

      /** "Download brief: Markdown | Word": the question as a briefing note, with its filters. */
      function briefTools() {
        // The name holds the visible word whole ("Download brief: Markdown"): a speech-input user
        // says what they see (WCAG 2.5.3), and a parenthesis would hide it from that match.
        const make = (kind, label) => el("button", { type: "button", "aria-label": T.brief + ": " + label, title: T.brief + ": " + label, text: label, onclick: () => downloadBrief(kind) });
        const group = el("span", { class: "brief", role: "group", "aria-label": T.brief }, [el("span", { class: "label", "aria-hidden": "true", text: T.brief + ":" }), make("md", "Markdown"), make("docx", "Word")]);
        let failure = null;

        async function downloadBrief(kind) {
          const buttons = group.querySelectorAll("button");
          if (buttons[0].disabled) return;
          for (const b of buttons) b.disabled = true;
          if (failure) failure.remove();
          announce(T.briefBusy);
          const language = /^[a-z]{2}$/.test(turn.language || "") ? turn.language : null;
          try {
            const response = await call("/api/brief", {
              method: "POST", headers: { "Content-Type": "application/json" },
              body: JSON.stringify({ question: turn.question, filters: turn.filters || null, language, language_hint: LANG, format: kind })
            });
            if (!response.ok) throw new Failure(await problemOf(response));
            const name = fileNameOf(response, "brief." + kind);
            saveBlob(await response.blob(), name, root);
            announce(name);
          } catch (error) {
            const text = T.briefError + (error instanceof Failure ? " " + error.message : "");
            failure = el("div", { class: "note bad", role: "alert", text });
            extra.append(failure);
          } finally {
            for (const b of buttons) b.disabled = false;
          }
        }
        return group;
      }

      function addRating(tools) {
        if (turn.rating) {
          tools.append(el("span", { class: "thanks", text: T.thanks }));
          return;
        }
        const up = el("button", { type: "button", class: "icon", "aria-pressed": "false", "aria-label": T.up, title: T.up, onclick: () => choose("up") }, [thumb(false)]);
        const down = el("button", { type: "button", class: "icon", "aria-pressed": "false", "aria-label": T.down, title: T.down, onclick: () => choose("down") }, [thumb(true)]);
        const reason = el("input", { type: "text", maxlength: "2000", "aria-label": T.reason, placeholder: T.reason });
        const reasonForm = el("form", { class: "reason", hidden: true, onsubmit: (event) => { event.preventDefault(); event.stopPropagation(); send(); } },
          [reason, el("button", { type: "submit", text: T.submit })]);
        tools.append(up, down, reasonForm);
        let rating = null;

        function choose(value) {
          rating = value;
          up.setAttribute("aria-pressed", String(value === "up"));
          down.setAttribute("aria-pressed", String(value === "down"));
          if (value === "up") return send();
          reasonForm.hidden = false;
          reason.focus();
        }

        async function send() {
          const payload = { answer_id: turn.answer_id, rating, reason: reason.value.trim() || null, question: turn.question };
          let ok = false;
          try {
            const response = await call("/api/feedback", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(payload) });
            ok = response.ok;
          } catch (e) {
            ok = false;
          }
          if (!ok) return announce(T.fbError);
          turn.rating = rating;
          save();
          const thanks = el("span", { class: "thanks", tabindex: "-1", text: T.thanks });
          const hadFocus = tools.contains(shadow.activeElement);
          up.remove();
          down.remove();
          reasonForm.remove();
          tools.append(thanks);
          if (hadFocus) thanks.focus();
          announce(T.thanks);
        }
      }

      function finish() {
        turn.done = true;
        body.removeAttribute("aria-busy");
        paint();
        keepAtBottom(() => {
          addSources();
          addTools();
        });
      }

      return { paint, finish, spoken: () => plainText(body), remove: () => bubble.remove(), start: () => body.setAttribute("aria-busy", "true") };
    }

    function showError(message, question) {
      const retry = el("button", { type: "button", text: T.retry, onclick: () => { box.remove(); ask(question, true); } });
      const box = el("div", { class: "msg error", role: "alert" }, [el("span", { text: message }), retry]);
      log.append(box);
      log.scrollTop = log.scrollHeight;
      retry.focus();
    }

    function setBusy(busy) {
      sendButton.textContent = busy ? T.stop : T.send;
      sendButton.className = busy ? "stop" : "";
      log.setAttribute("aria-busy", String(busy));
    }

    /** Ask `question`, streaming the answer into a new bubble. */
    async function ask(text, isRetry) {
      const question = String(text || "").trim();
      if (!question || controller) return;
      const starters = log.querySelector(".starters");
      if (starters) starters.remove();
      for (const old of log.querySelectorAll(".error")) old.remove();
      const asked = isRetry ? null : addUser(question);
      input.value = "";
      fitInput();
      const turn = { question, text: "", citations: [], evidence: [], answer_id: null, language: null, approved: null, filters: chosenFilters() };
      const view = addBot(turn);
      view.start();
      view.paint();
      if (asked) showFromTop(asked); // the new question comes into view wherever the reader was
      controller = new AbortController();
      setBusy(true);
      announce(T.thinking);
      try {
        await stream(turn, view, controller.signal);
        turns.push(turn);
        save();
        view.finish();
        announce(view.spoken());
      } catch (error) {
        if (error && error.name === "AbortError") {
          turn.stopped = true;
          if (turn.text) {
            turns.push(turn);
            save();
            view.finish();
          } else {
            view.remove();
          }
          announce(T.stopped);
        } else {
          view.remove();
          showError(error instanceof Failure ? error.message : T.error, question);
        }
      } finally {
        controller = null;
        setBusy(false);
      }
    }

    async function stream(turn, view, signal) {
      const response = await call("/api/chat/stream", {
        method: "POST", signal,
        headers: { "Content-Type": "application/json", Accept: "text/event-stream" },
        body: JSON.stringify({ question: turn.question, history: historyOf(turns), filters: chosenFilters(), language_hint: LANG })
      });
      if (!response.ok || !response.body) throw new Failure(await problemOf(response));
      let finished = false;
      await readEvents(response, (type, data) => {
        if (type === "meta") {
          turn.answer_id = data.answer_id || null;
          turn.language = data.language || null;
          turn.approved = data.approved || null;
        } else if (type === "token") {
          turn.text += typeof data.text === "string" ? data.text : "";
          view.paint();
        } else if (type === "citations") {
          turn.citations = Array.isArray(data.citations) ? data.citations : [];
          turn.evidence = Array.isArray(data.evidence) ? data.evidence : [];
        } else if (type === "done") {
          finished = true;
          turn.answer_id = data.answer_id || turn.answer_id;
          turn.language = data.language || turn.language;
          turn.status = data.status || null;
          turn.approved = data.approved || turn.approved || null;
        } else if (type === "error") {
          throw new Failure(String(data.message || T.error));
        }
      });
      if (!finished) throw new Failure(T.error); // the connection ended before `done`
    }

    for (const turn of turns) {
      if (!turn || typeof turn.question !== "string") continue;
      addUser(turn.question);
      addBot(turn).finish();
    }
    showStarters();
    if (inline) loadFacets();
    else if (load(STORE_KEY + ":open", false)) toggle(true, false);
    else panel.hidden = true;
  }

  /** Styles as a constructed stylesheet (not blocked by CSP style-src), else a <style> element. */
  function adoptStyles(shadow) {
    try {
      const sheet = new CSSStyleSheet();
      sheet.replaceSync(CSS);
      shadow.adoptedStyleSheets = [sheet];
    } catch (e) {
      shadow.append(el("style", { text: CSS }));
    }
  }

  let textDirection = () => "ltr";

  /** Load the modules the widget shares with the admin console (dom, render, sse, i18n, api)
   * from the service that served this script, then mount. They are ES modules served to any
   * origin (Access-Control-Allow-Origin: *), so a page's CSP needs only the service in
   * script-src, as for widget.js itself. */
  async function start() {
    const lib = new URL("lib/", script.src || (API ? API + "/" : location.href)).href;
    let modules;
    try {
      modules = await Promise.all(["dom", "render", "sse", "i18n", "api", "copy"].map((name) => import(lib + name + ".js")));
    } catch (e) {
      console.error("ICC Assistant: cannot load its modules from " + lib, e);
      return;
    }
    const [dom, render, sse, i18n, api, copy] = modules;
    ({ answerForClipboard, copyBoth, plainText, sourceLink } = copy);
    ({ el, safeUrl, hostOf, link } = dom);
    ({ renderMarkdown } = render);
    ({ readEvents } = sse);
    ({ fileNameOf, saveBlob } = api);
    textDirection = i18n.direction;
    LANG = i18n.pickLanguage([option("lang"), document.documentElement.lang || ""].concat(i18n.browserLanguages()), STRINGS);
    T = Object.assign({}, STRINGS.en, STRINGS[LANG]);
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", mount);
    else mount();
  }

  start();
})();
