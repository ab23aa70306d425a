"""System prompts spoken outside a flow's own nodes, in every supported language.

A flow may override any of them under ``messages:``. Placeholders: ``{line}`` (line name),
``{position}`` (place in the queue).
"""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    "whisper": {
        "de": "Anruf für {line}. Drücken Sie die 1, um den Anruf anzunehmen.",
        "en": "Call for {line}. Press 1 to accept the call.",
        "tr": "{line} için arama. Aramayı kabul etmek için 1'e basın.",
        "ar": "مكالمة إلى {line}. اضغط 1 لقبول المكالمة.",
        "uk": "Дзвінок для {line}. Натисніть 1, щоб прийняти дзвінок.",
        "ru": "Звонок для {line}. Нажмите 1, чтобы принять звонок.",
    },
    "whisper_again": {
        "de": "Dieselbe Person ruft noch einmal an. Anruf für {line}. "
        "Drücken Sie die 1, um den Anruf anzunehmen.",
        "en": "The same caller is calling again. Call for {line}. Press 1 to accept the call.",
        "tr": "Aynı kişi tekrar arıyor. {line} için arama. Aramayı kabul etmek için 1'e basın.",
        "ar": "نفس المتصل يتصل مرة أخرى. مكالمة إلى {line}. اضغط 1 لقبول المكالمة.",
        "uk": "Та сама людина дзвонить знову. Дзвінок для {line}. "
        "Натисніть 1, щоб прийняти дзвінок.",
        "ru": "Тот же человек звонит снова. Звонок для {line}. Нажмите 1, чтобы принять звонок.",
    },
    "blocked": {
        "de": "Dieser Anschluss kann {line} zurzeit nicht erreichen. Auf Wiederhören.",
        "en": "This number cannot reach {line} at the moment. Goodbye.",
        "tr": "Bu numara şu anda {line} hattına ulaşamıyor. Hoşça kalın.",
        "ar": "لا يمكن لهذا الرقم الوصول إلى {line} حاليًا. مع السلامة.",
        "uk": "З цього номера зараз неможливо додзвонитися до {line}. До побачення.",
        "ru": "С этого номера сейчас нельзя дозвониться до {line}. До свидания.",
    },
    "whisper_gone": {
        "de": "Dieser Anruf wurde bereits angenommen oder beendet. Danke!",
        "en": "This call has already been taken or has ended. Thank you!",
        "tr": "Bu arama zaten kabul edildi veya sona erdi. Teşekkürler!",
        "ar": "تم الرد على هذه المكالمة أو انتهت بالفعل. شكرًا!",
        "uk": "Цей дзвінок вже прийнято або завершено. Дякуємо!",
        "ru": "Этот звонок уже принят или завершён. Спасибо!",
    },
    "escalation_whisper": {
        "de": "Unterstützung gebraucht: ein laufender Anruf auf {line}. "
        "Drücken Sie die 1, um dazuzukommen.",
        "en": "Support needed: a call in progress on {line}. Press 1 to join.",
        "tr": "Destek gerekiyor: {line} hattında devam eden bir arama. Katılmak için 1'e basın.",
        "ar": "مطلوب دعم: مكالمة جارية على {line}. اضغط 1 للانضمام.",
        "uk": "Потрібна підтримка: поточний дзвінок на {line}. Натисніть 1, щоб приєднатися.",
        "ru": "Нужна поддержка: текущий звонок на {line}. Нажмите 1, чтобы присоединиться.",
    },
    "connecting": {
        "de": "Einen Moment bitte, wir verbinden Sie.",
        "en": "One moment please, we are connecting you.",
        "tr": "Bir dakika lütfen, sizi bağlıyoruz.",
        "ar": "لحظة من فضلك، نقوم بتوصيلك.",
        "uk": "Хвилинку, будь ласка, ми вас з'єднуємо.",
        "ru": "Одну минуту, пожалуйста, мы вас соединяем.",
    },
    "queue": {
        "de": "Gerade sind alle im Gespräch. Sie sind an Position {position}. "
        "Bitte bleiben Sie dran, wir sind gleich für Sie da.",
        "en": "Everyone is busy right now. You are number {position} in line. "
        "Please stay on the line, we will be with you shortly.",
        "tr": "Şu anda herkes meşgul. Sıradaki yeriniz {position}. Lütfen hatta kalın.",
        "ar": "الجميع مشغولون الآن. ترتيبك في الانتظار هو {position}. يرجى البقاء على الخط.",
        "uk": "Зараз усі зайняті. Ваше місце в черзі: {position}. Будь ласка, залишайтеся на лінії.",
        "ru": "Сейчас все заняты. Ваше место в очереди: {position}. Пожалуйста, оставайтесь на линии.",
    },
    "fallback": {
        "de": "Wir verbinden Sie mit unserer Vertretung.",
        "en": "We are connecting you to our partner line.",
        "tr": "Sizi ortak hattımıza bağlıyoruz.",
        "ar": "نقوم بتوصيلك بخط الشريك.",
        "uk": "Ми з'єднуємо вас з нашою партнерською лінією.",
        "ru": "Мы соединяем вас с нашей партнёрской линией.",
    },
    "voicemail": {
        "de": "Leider ist gerade niemand erreichbar. Bitte hinterlassen Sie nach dem Signalton "
        "eine Nachricht mit Ihrer Rückrufnummer. Wir melden uns.",
        "en": "Unfortunately no one is available right now. Please leave a message with your "
        "call-back number after the tone. We will get back to you.",
        "tr": "Şu anda kimseye ulaşılamıyor. Lütfen sinyal sesinden sonra geri arama numaranızla "
        "bir mesaj bırakın.",
        "ar": "للأسف لا يوجد أحد متاح الآن. يرجى ترك رسالة مع رقم معاودة الاتصال بعد الصفارة.",
        "uk": "На жаль, зараз ніхто не доступний. Залиште, будь ласка, повідомлення з номером "
        "для зворотного дзвінка після сигналу.",
        "ru": "К сожалению, сейчас никто не доступен. Пожалуйста, оставьте сообщение с номером "
        "для обратного звонка после сигнала.",
    },
    "voicemail_thanks": {
        "de": "Vielen Dank für Ihre Nachricht. Auf Wiederhören.",
        "en": "Thank you for your message. Goodbye.",
        "tr": "Mesajınız için teşekkürler. Hoşça kalın.",
        "ar": "شكرًا على رسالتك. مع السلامة.",
        "uk": "Дякуємо за ваше повідомлення. До побачення.",
        "ru": "Спасибо за ваше сообщение. До свидания.",
    },
    "unavailable": {
        "de": "Leider ist gerade niemand erreichbar. Bitte versuchen Sie es später noch einmal.",
        "en": "Unfortunately no one is available right now. Please try again later.",
        "tr": "Şu anda kimseye ulaşılamıyor. Lütfen daha sonra tekrar deneyin.",
        "ar": "للأسف لا يوجد أحد متاح الآن. يرجى المحاولة لاحقًا.",
        "uk": "На жаль, зараз ніхто не доступний. Спробуйте, будь ласка, пізніше.",
        "ru": "К сожалению, сейчас никто не доступен. Пожалуйста, попробуйте позже.",
    },
    "no_input": {
        "de": "Ich habe leider nichts gehört.",
        "en": "Sorry, I did not hear anything.",
        "tr": "Üzgünüm, bir şey duymadım.",
        "ar": "عذرًا، لم أسمع شيئًا.",
        "uk": "Вибачте, я нічого не почула.",
        "ru": "Извините, я ничего не услышала.",
    },
    "invalid": {
        "de": "Das habe ich leider nicht verstanden.",
        "en": "Sorry, I did not understand that.",
        "tr": "Üzgünüm, bunu anlamadım.",
        "ar": "عذرًا، لم أفهم ذلك.",
        "uk": "Вибачте, я не зрозуміла.",
        "ru": "Извините, я не поняла.",
    },
}

#: Twilio text-to-speech settings for the supported languages; flows may choose others.
DEFAULT_VOICES: dict[str, tuple[str, str]] = {
    "de": ("de-DE", "Polly.Vicki"),
    "en": ("en-GB", "Polly.Amy"),
    "tr": ("tr-TR", "Polly.Filiz"),
    "ar": ("arb", "Polly.Zeina"),
    "uk": ("uk-UA", "Google.uk-UA-Standard-A"),
    "ru": ("ru-RU", "Polly.Tatyana"),
}


def message(
    key: str,
    language: str,
    overrides: dict[str, dict[str, str]] | None = None,
    fallback_language: str = "de",
    **values: object,
) -> str:
    """The text of system message ``key`` in ``language``, falling back sensibly."""
    for source in (overrides or {}).get(key, {}), MESSAGES[key]:
        for code in (language, fallback_language, "en"):
            if code in source:
                return source[code].format(**values)
    raise KeyError(key)
