# ruff: noqa: E501  (translations read best one message per line)
"""Writes the kiosk's .po catalogs from messages.pot and the tables below (run after `pybabel extract`).

Keeping the translations here as data lets one script update all seven catalogs at once; the .po files it
writes are what the app reads.
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

HERE = Path(__file__).resolve().parent

SV = {
    "Ask at the information desk, or start over and choose something else.": "Fråga i informationsdisken, eller börja om och välj något annat.",
    "Kiosk: choices and guides used": "Kiosken: val och guider som används",
    "This choice is not available right now.": "Det valet finns inte just nu.",
    "There is no errand category called %(c)s.": "Det finns inget ärende som heter %(c)s.",
    "This service does not take tickets right now.": "Den här tjänsten tar inte emot kölappar just nu.",
    "There is no guide called %(guide)s.": "Det finns ingen guide som heter %(guide)s.",
    "I have a booked meeting": "Jag har ett bokat möte",
    "Tell the person you are meeting that you are here.": "Berätta för den du ska träffa att du har kommit.",
    "I need help with an errand": "Jag behöver hjälp med ett ärende",
    "Step-by-step guides: preschool, money, migration, housing and more.":
        "Guider steg för steg: förskola, pengar, migration, bostad med mera.",
    "I want to talk to a guide": "Jag vill prata med en samhällsvägledare",
    "Answer two or three questions and get a queue ticket.": "Svara på två eller tre frågor och få en kölapp.",
    "The screen sent no valid request key; start again.": "Skärmen skickade ingen giltig nyckel. Börja om.",
    "This screen was already used for something else; start again.":
        "Den här skärmen användes redan till något annat. Börja om.",
    "A first name may have letters, spaces and hyphens, at most %(n)s.":
        "Ett förnamn får ha bokstäver, mellanslag och bindestreck, högst %(n)s.",
    "That person is not in this office's directory.": "Den personen finns inte på det här kontoret.",
    "That department is not in this office's directory.": "Den avdelningen finns inte på det här kontoret.",
    "Choose the person or the department you are meeting.": "Välj personen eller avdelningen du ska träffa.",
    "the waiting area": "väntplatsen",
    "%(name)s has been told that you are here.": "%(name)s har fått veta att du är här.",
    "%(unit)s has been told that you are here.": "%(unit)s har fått veta att du är här.",
    "Please take a seat: %(place)s. You will be fetched there.": "Sätt dig och vänta: %(place)s. Du blir hämtad där.",
    "Please answer every question.": "Svara på alla frågor.",
    "Choose a service or an errand.": "Välj en tjänst eller ett ärende.",
    "Tickets cannot be taken here right now. Please ask at the desk.":
        "Det går inte att ta kölapp här just nu. Fråga i informationsdisken.",
    "You are next.": "Du står först i kön.",
    "People before you: %(n)s": "Före dig i kön: %(n)s",
    "Estimated wait: about %(minutes)s minutes": "Beräknad väntetid: cirka %(minutes)s minuter",
    "We cannot estimate the wait right now.": "Vi kan inte beräkna väntetiden just nu.",
    "No meeting has that booking code. Check the code or choose the person's name.":
        "Inget möte har den bokningskoden. Kontrollera koden eller välj personens namn.",
    "Some of this is not translated into your language yet, so it is shown in Swedish.":
        "En del av texten är inte översatt till ditt språk ännu och visas därför på svenska.",
    "Your queue number": "Ditt könummer",
    "QR code that shows your place in the queue on your phone": "QR-kod som visar din plats i kön i mobilen",
    "Scan the code with your phone's camera to follow your place in the queue.":
        "Skanna koden med mobilens kamera för att följa din plats i kön.",
    "Take a seat. Your number is called on the screens and out loud.":
        "Sätt dig och vänta. Ditt nummer ropas upp på skärmarna och i högtalarna.",
    "Done": "Klar",
    "This screen is not a kiosk yet": "Den här skärmen är inte en kiosk ännu",
    "You are signed in, but not as a kiosk of this office or as its staff.":
        "Du är inloggad, men inte som kiosk eller personal på det här kontoret.",
    "The kiosk runs on a screen that the office has enrolled as a kiosk device. To enrol this screen:":
        "Kiosken körs på en skärm som kontoret har registrerat som kiosk. Så registrerar du den här skärmen:",
    "On the server, run:": "Kör på servern:",
    "Entrance screen": "Entréskärm",
    "Open the enrolment link that the command prints, once, in this screen's browser. "
    "The screen then opens the kiosk by itself.":
        "Öppna registreringslänken som kommandot skriver ut, en gång, i den här skärmens webbläsare. "
        "Skärmen öppnar sedan kiosken av sig själv.",
    "Staff of the office can also try the kiosk after signing in.":
        "Personal på kontoret kan också prova kiosken efter inloggning.",
    "Sign in as staff": "Logga in som personal",
    "Continue on your phone": "Fortsätt i mobilen",
    "QR code that opens this guide on your phone": "QR-kod som öppnar den här guiden i mobilen",
    "Scan the code with your phone's camera to take this guide with you.":
        "Skanna koden med mobilens kamera för att ta med dig guiden.",
    "Talk to a guide about this": "Prata med en samhällsvägledare om detta",
    "All guides": "Alla guider",
    "Guides for your errand": "Guider för ditt ärende",
    "What is your errand about?": "Vad gäller ditt ärende?",
    "Choose a guide. It shows the steps, what to bring and where to go next.":
        "Välj en guide. Den visar stegen, vad du ska ta med och vart du går sedan.",
    "Start over": "Börja om",
    "Language": "Språk",
    "Display": "Visning",
    "Large text": "Stor text",
    "High contrast": "Hög kontrast",
    "The screen cannot reach the server right now. What you chose is kept.":
        "Skärmen får inte kontakt med servern just nu. Det du har valt finns kvar.",
    "Try again": "Försök igen",
    "Are you still there?": "Är du kvar?",
    "The screen will start over and forget your choices in": "Skärmen börjar om och glömmer dina val om",
    "seconds": "sekunder",
    "I need more time": "Jag behöver mer tid",
    "Who are you meeting?": "Vem ska du träffa?",
    "Find the person's name": "Hitta personens namn",
    "Choose the department": "Välj avdelning",
    "I have a booking code": "Jag har en bokningskod",
    "First letter of the name": "Namnets första bokstav",
    "All": "Alla",
    "Booking code": "Bokningskod",
    "Digits": "Siffror",
    "Erase": "Sudda",
    "Find": "Sök",
    "Check and confirm": "Kontrollera och bekräfta",
    "You are meeting:": "Du ska träffa:",
    "Your first name (you may leave this empty)": "Ditt förnamn (du kan lämna det tomt)",
    "Letters": "Bokstäver",
    "Space": "Mellanslag",
    "Confirm that I am here": "Bekräfta att jag är här",
    "Back": "Tillbaka",
    "Thank you, you are registered": "Tack, du är anmäld",
    "The last %(days)s days. Counts only: no person, device or time of day.":
        "De senaste %(days)s dagarna. Bara antal: ingen person, enhet eller klockslag.",
    "Day": "Dag",
    "Choice": "Val",
    "Guide": "Guide",
    "Count": "Antal",
    "Nobody has used the kiosk in the last %(days)s days.": "Ingen har använt kiosken de senaste %(days)s dagarna.",
    "Welcome": "Välkommen",
    "Welcome! What do you want to do?": "Välkommen! Vad vill du göra?",
    "Choose language": "Välj språk",
    "Choices": "Val",
    "What is your errand about? Then answer two or three short questions, so the guide knows how to help you.":
        "Vad gäller ditt ärende? Svara sedan på två eller tre korta frågor, så vet samhällsvägledaren hur hen "
        "kan hjälpa dig.",
    "Talk to a guide:": "Prata med en samhällsvägledare:",
    "Answer the questions, then take a queue ticket. The guide sees your answers.":
        "Svara på frågorna och ta sedan en kölapp. Samhällsvägledaren ser dina svar.",
    "Take a queue ticket": "Ta en kölapp",
    "Waiting now: %(n)s": "Väntar nu: %(n)s",
}

AR = {
    "Ask at the information desk, or start over and choose something else.": "اسأل في مكتب الاستعلامات، أو ابدأ من جديد واختر شيئًا آخر.",
    "Kiosk: choices and guides used": "الكشك: الخيارات والأدلة المستخدمة",
    "This choice is not available right now.": "هذا الخيار غير متاح الآن.",
    "There is no errand category called %(c)s.": "لا توجد فئة معاملة باسم %(c)s.",
    "This service does not take tickets right now.": "هذه الخدمة لا تعطي أرقام دور الآن.",
    "There is no guide called %(guide)s.": "لا يوجد دليل باسم %(guide)s.",
    "I have a booked meeting": "لدي موعد محجوز",
    "Tell the person you are meeting that you are here.": "أخبر الشخص الذي ستقابله أنك وصلت.",
    "I need help with an errand": "أحتاج إلى مساعدة في معاملة",
    "Step-by-step guides: preschool, money, migration, housing and more.":
        "أدلة خطوة بخطوة: الروضة، المال، الهجرة، السكن وغير ذلك.",
    "I want to talk to a guide": "أريد التحدث مع موظف إرشاد",
    "Answer two or three questions and get a queue ticket.": "أجب عن سؤالين أو ثلاثة واحصل على رقم دور.",
    "The screen sent no valid request key; start again.": "لم ترسل الشاشة مفتاح طلب صالحًا. ابدأ من جديد.",
    "This screen was already used for something else; start again.":
        "استُخدمت هذه الشاشة بالفعل لشيء آخر. ابدأ من جديد.",
    "A first name may have letters, spaces and hyphens, at most %(n)s.":
        "يمكن أن يحتوي الاسم الأول على حروف ومسافات وشرطات، بحد أقصى %(n)s.",
    "That person is not in this office's directory.": "هذا الشخص غير موجود في دليل هذا المكتب.",
    "That department is not in this office's directory.": "هذا القسم غير موجود في دليل هذا المكتب.",
    "Choose the person or the department you are meeting.": "اختر الشخص أو القسم الذي ستقابله.",
    "the waiting area": "منطقة الانتظار",
    "%(name)s has been told that you are here.": "تم إبلاغ %(name)s بأنك هنا.",
    "%(unit)s has been told that you are here.": "تم إبلاغ %(unit)s بأنك هنا.",
    "Please take a seat: %(place)s. You will be fetched there.": "تفضل بالجلوس: %(place)s. سيأتي أحد لاصطحابك من هناك.",
    "Please answer every question.": "من فضلك أجب عن كل الأسئلة.",
    "Choose a service or an errand.": "اختر خدمة أو معاملة.",
    "Tickets cannot be taken here right now. Please ask at the desk.":
        "لا يمكن أخذ رقم دور هنا الآن. من فضلك اسأل في مكتب الاستعلامات.",
    "You are next.": "أنت التالي.",
    "People before you: %(n)s": "عدد الأشخاص قبلك: %(n)s",
    "Estimated wait: about %(minutes)s minutes": "وقت الانتظار المتوقع: حوالي %(minutes)s دقيقة",
    "We cannot estimate the wait right now.": "لا يمكننا تقدير وقت الانتظار الآن.",
    "No meeting has that booking code. Check the code or choose the person's name.":
        "لا يوجد موعد بهذا الرمز. تحقق من الرمز أو اختر اسم الشخص.",
    "Some of this is not translated into your language yet, so it is shown in Swedish.":
        "جزء من هذا النص غير مترجم إلى لغتك بعد، لذلك يظهر باللغة السويدية.",
    "Your queue number": "رقم دورك",
    "QR code that shows your place in the queue on your phone": "رمز QR يعرض مكانك في الدور على هاتفك",
    "Scan the code with your phone's camera to follow your place in the queue.":
        "امسح الرمز بكاميرا هاتفك لتتابع مكانك في الدور.",
    "Take a seat. Your number is called on the screens and out loud.":
        "تفضل بالجلوس. سيُنادى رقمك على الشاشات وبصوت مسموع.",
    "Done": "تم",
    "This screen is not a kiosk yet": "هذه الشاشة ليست كشكًا بعد",
    "You are signed in, but not as a kiosk of this office or as its staff.":
        "أنت مسجل الدخول، ولكن ليس ككشك لهذا المكتب أو كموظف فيه.",
    "The kiosk runs on a screen that the office has enrolled as a kiosk device. To enrol this screen:":
        "يعمل الكشك على شاشة سجّلها المكتب كجهاز كشك. لتسجيل هذه الشاشة:",
    "On the server, run:": "نفّذ على الخادم:",
    "Entrance screen": "شاشة المدخل",
    "Open the enrolment link that the command prints, once, in this screen's browser. "
    "The screen then opens the kiosk by itself.":
        "افتح رابط التسجيل الذي يطبعه الأمر، مرة واحدة، في متصفح هذه الشاشة. بعد ذلك تفتح الشاشة الكشك تلقائيًا.",
    "Staff of the office can also try the kiosk after signing in.": "يمكن لموظفي المكتب أيضًا تجربة الكشك بعد تسجيل الدخول.",
    "Sign in as staff": "تسجيل الدخول كموظف",
    "Continue on your phone": "تابع على هاتفك",
    "QR code that opens this guide on your phone": "رمز QR يفتح هذا الدليل على هاتفك",
    "Scan the code with your phone's camera to take this guide with you.":
        "امسح الرمز بكاميرا هاتفك لتأخذ هذا الدليل معك.",
    "Talk to a guide about this": "تحدث مع موظف إرشاد عن هذا",
    "All guides": "كل الأدلة",
    "Guides for your errand": "أدلة لمعاملتك",
    "What is your errand about?": "بماذا تتعلق معاملتك؟",
    "Choose a guide. It shows the steps, what to bring and where to go next.":
        "اختر دليلاً. يعرض الخطوات، وما تحتاج إلى إحضاره، وإلى أين تذهب بعد ذلك.",
    "Start over": "ابدأ من جديد",
    "Language": "اللغة",
    "Display": "العرض",
    "Large text": "نص كبير",
    "High contrast": "تباين عالٍ",
    "The screen cannot reach the server right now. What you chose is kept.":
        "لا تستطيع الشاشة الاتصال بالخادم الآن. ما اخترته محفوظ.",
    "Try again": "حاول مرة أخرى",
    "Are you still there?": "هل ما زلت هنا؟",
    "The screen will start over and forget your choices in": "ستبدأ الشاشة من جديد وتنسى اختياراتك خلال",
    "seconds": "ثانية",
    "I need more time": "أحتاج إلى وقت أطول",
    "Who are you meeting?": "من ستقابل؟",
    "Find the person's name": "ابحث عن اسم الشخص",
    "Choose the department": "اختر القسم",
    "I have a booking code": "لدي رمز حجز",
    "First letter of the name": "الحرف الأول من الاسم",
    "All": "الكل",
    "Booking code": "رمز الحجز",
    "Digits": "الأرقام",
    "Erase": "مسح",
    "Find": "بحث",
    "Check and confirm": "تحقق وأكّد",
    "You are meeting:": "ستقابل:",
    "Your first name (you may leave this empty)": "اسمك الأول (يمكنك تركه فارغًا)",
    "Letters": "الحروف",
    "Space": "مسافة",
    "Confirm that I am here": "أؤكد أنني هنا",
    "Back": "رجوع",
    "Thank you, you are registered": "شكرًا، تم تسجيل وصولك",
    "The last %(days)s days. Counts only: no person, device or time of day.":
        "آخر %(days)s يومًا. أعداد فقط: بدون أشخاص أو أجهزة أو أوقات.",
    "Day": "اليوم",
    "Choice": "الخيار",
    "Guide": "الدليل",
    "Count": "العدد",
    "Nobody has used the kiosk in the last %(days)s days.": "لم يستخدم أحد الكشك في آخر %(days)s يومًا.",
    "Welcome": "أهلاً وسهلاً",
    "Welcome! What do you want to do?": "أهلاً وسهلاً! ماذا تريد أن تفعل؟",
    "Choose language": "اختر اللغة",
    "Choices": "الخيارات",
    "What is your errand about? Then answer two or three short questions, so the guide knows how to help you.":
        "بماذا تتعلق معاملتك؟ ثم أجب عن سؤالين أو ثلاثة أسئلة قصيرة، ليعرف موظف الإرشاد كيف يساعدك.",
    "Talk to a guide:": "التحدث مع موظف إرشاد:",
    "Answer the questions, then take a queue ticket. The guide sees your answers.":
        "أجب عن الأسئلة، ثم خذ رقم دور. سيرى موظف الإرشاد إجاباتك.",
    "Take a queue ticket": "خذ رقم دور",
    "Waiting now: %(n)s": "المنتظرون الآن: %(n)s",
}

SO = {
    "Ask at the information desk, or start over and choose something else.": "Weydii miiska macluumaadka, ama dib u bilow oo dooro wax kale.",
    "This service does not take tickets right now.": "Adeeggani hadda ma bixiyo lambarro safka.",
    "I have a booked meeting": "Waxaan haystaa ballan",
    "Tell the person you are meeting that you are here.": "U sheeg qofka aad la kulmayso inaad timid.",
    "I need help with an errand": "Waxaan u baahanahay caawimaad arrin",
    "Step-by-step guides: preschool, money, migration, housing and more.":
        "Tilmaamo tallaabo tallaabo ah: xannaanada, lacagta, socdaalka, guriga iyo wax kale.",
    "I want to talk to a guide": "Waxaan rabaa inaan la hadlo hage",
    "Answer two or three questions and get a queue ticket.": "Ka jawaab laba ama saddex su'aalood oo qaado lambar safka.",
    "That person is not in this office's directory.": "Qofkaas kuma jiro xafiiskan.",
    "Choose the person or the department you are meeting.": "Dooro qofka ama qaybta aad la kulmayso.",
    "the waiting area": "meesha sugitaanka",
    "%(name)s has been told that you are here.": "%(name)s waxaa loo sheegay inaad halkan joogto.",
    "%(unit)s has been told that you are here.": "%(unit)s waxaa loo sheegay inaad halkan joogto.",
    "Please take a seat: %(place)s. You will be fetched there.": "Fadlan fadhiiso: %(place)s. Halkaas ayaa lagaaga imaan doonaa.",
    "Please answer every question.": "Fadlan ka jawaab su'aal kasta.",
    "You are next.": "Adiga ayaa xiga.",
    "People before you: %(n)s": "Dadka kaa horreeya: %(n)s",
    "Estimated wait: about %(minutes)s minutes": "Sugitaanka la filayo: qiyaastii %(minutes)s daqiiqo",
    "Some of this is not translated into your language yet, so it is shown in Swedish.":
        "Qayb ka mid ah qoraalkan weli laguma turjumin luqaddaada, sidaas darteed waxaa lagu muujiyey Iswiidhish.",
    "Your queue number": "Lambarkaaga safka",
    "Scan the code with your phone's camera to follow your place in the queue.":
        "Ku iskaan garee koodka kamaradda taleefankaaga si aad ula socoto booskaaga safka.",
    "Done": "Dhammaad",
    "Continue on your phone": "Ku sii wad taleefankaaga",
    "QR code that opens this guide on your phone": "Koodka QR ee tilmaantan ku furaya taleefankaaga",
    "Scan the code with your phone's camera to take this guide with you.":
        "Ku iskaan garee koodka kamaradda taleefankaaga si aad tilmaantan u qaadato.",
    "Talk to a guide about this": "Kala hadal hage arrintan",
    "All guides": "Dhammaan tilmaamaha",
    "Guides for your errand": "Tilmaamo arrintaada",
    "What is your errand about?": "Arrintaadu maxay ku saabsan tahay?",
    "Choose a guide. It shows the steps, what to bring and where to go next.":
        "Dooro tilmaan. Waxay muujinaysaa tallaabooyinka, waxa aad keenayso iyo meesha aad u socoto.",
    "Start over": "Dib u bilow",
    "Language": "Luqadda",
    "Large text": "Qoraal weyn",
    "High contrast": "Kala duwanaansho sare",
    "The screen cannot reach the server right now. What you chose is kept.":
        "Shaashaddu hadda ma gaari karto server-ka. Waxa aad dooratay waa la hayaa.",
    "Try again": "Isku day mar kale",
    "Are you still there?": "Weli ma joogtaa?",
    "The screen will start over and forget your choices in": "Shaashaddu dib ayey u bilaabanaysaa oo way illoobaysaa doorashooyinkaaga",
    "seconds": "ilbiriqsi",
    "I need more time": "Waxaan u baahanahay waqti dheeraad ah",
    "Who are you meeting?": "Yaad la kulmaysaa?",
    "Find the person's name": "Raadi magaca qofka",
    "Choose the department": "Dooro qaybta",
    "I have a booking code": "Waxaan haystaa koodka ballanta",
    "All": "Dhammaan",
    "Booking code": "Koodka ballanta",
    "Erase": "Tirtir",
    "Find": "Raadi",
    "Check and confirm": "Hubi oo xaqiiji",
    "You are meeting:": "Waxaad la kulmaysaa:",
    "Your first name (you may leave this empty)": "Magacaaga koowaad (waad ka tegi kartaa madhan)",
    "Space": "Meel bannaan",
    "Confirm that I am here": "Xaqiiji inaan halkan joogo",
    "Back": "Dib u noqo",
    "Thank you, you are registered": "Mahadsanid, waa lagu diiwaangeliyey",
    "Welcome": "Soo dhawoow",
    "Welcome! What do you want to do?": "Soo dhawoow! Maxaad rabtaa inaad samayso?",
    "Choose language": "Dooro luqadda",
    "Talk to a guide:": "La hadal hage:",
    "Take a queue ticket": "Qaado lambar safka",
    "Waiting now: %(n)s": "Hadda sugaya: %(n)s",
}

FI = {
    "I have a booked meeting": "Minulla on varattu tapaaminen",
    "I need help with an errand": "Tarvitsen apua asiointiin",
    "I want to talk to a guide": "Haluan puhua ohjaajan kanssa",
    "Some of this is not translated into your language yet, so it is shown in Swedish.":
        "Osaa tekstistä ei ole vielä käännetty kielellesi, joten se näytetään ruotsiksi.",
    "Your queue number": "Jonotusnumerosi",
    "Done": "Valmis",
    "Start over": "Aloita alusta",
    "Language": "Kieli",
    "Large text": "Suuri teksti",
    "High contrast": "Suuri kontrasti",
    "Try again": "Yritä uudelleen",
    "Are you still there?": "Oletko vielä siinä?",
    "I need more time": "Tarvitsen lisää aikaa",
    "seconds": "sekuntia",
    "Back": "Takaisin",
    "Welcome": "Tervetuloa",
    "Welcome! What do you want to do?": "Tervetuloa! Mitä haluat tehdä?",
    "Choose language": "Valitse kieli",
    "Take a queue ticket": "Ota jonotusnumero",
    "Continue on your phone": "Jatka puhelimellasi",
    "All guides": "Kaikki oppaat",
}

FA = {
    "I have a booked meeting": "من یک قرار ملاقات رزرو شده دارم",
    "I need help with an errand": "برای کاری به کمک نیاز دارم",
    "I want to talk to a guide": "می‌خواهم با یک راهنما صحبت کنم",
    "Some of this is not translated into your language yet, so it is shown in Swedish.":
        "بخشی از این متن هنوز به زبان شما ترجمه نشده است، بنابراین به زبان سوئدی نمایش داده می‌شود.",
    "Your queue number": "شماره نوبت شما",
    "Done": "تمام",
    "Start over": "شروع دوباره",
    "Language": "زبان",
    "Large text": "متن بزرگ",
    "High contrast": "کنتراست بالا",
    "Try again": "دوباره امتحان کنید",
    "Are you still there?": "هنوز اینجا هستید؟",
    "I need more time": "به زمان بیشتری نیاز دارم",
    "seconds": "ثانیه",
    "Back": "بازگشت",
    "Welcome": "خوش آمدید",
    "Welcome! What do you want to do?": "خوش آمدید! چه کاری می‌خواهید انجام دهید؟",
    "Choose language": "زبان را انتخاب کنید",
    "Take a queue ticket": "شماره نوبت بگیرید",
    "Continue on your phone": "در تلفن خود ادامه دهید",
    "All guides": "همه راهنماها",
}

TI = {
    "I have a booked meeting": "ዝተሓዝአ ቆጸራ ኣለኒ",
    "I need help with an errand": "ንጉዳይ ሓገዝ የድልየኒ",
    "I want to talk to a guide": "ምስ መራሒ ክዛረብ እደሊ",
    "Some of this is not translated into your language yet, so it is shown in Swedish.":
        "ገለ ካብዚ ጽሑፍ ገና ናብ ቋንቋኹም ኣይተተርጎመን፣ ስለዚ ብሽወደንኛ ይርአ ኣሎ።",
    "Your queue number": "ቁጽሪ መስርዕኹም",
    "Done": "ተወዲኡ",
    "Start over": "ካብ መጀመርታ ጀምር",
    "Language": "ቋንቋ",
    "Try again": "ደጊምካ ፈትን",
    "Are you still there?": "ገና ኣለኹም ዶ?",
    "I need more time": "ተወሳኺ ግዜ የድልየኒ",
    "Back": "ተመለስ",
    "Welcome": "እንቋዕ ብደሓን መጻእኩም",
    "Welcome! What do you want to do?": "እንቋዕ ብደሓን መጻእኩም! እንታይ ክትገብሩ ትደልዩ?",
    "Choose language": "ቋንቋ ምረጹ",
    "Take a queue ticket": "ቁጽሪ መስርዕ ውሰዱ",
}

CATALOGS = {"sv": SV, "en": {}, "ar": AR, "so": SO, "fi": FI, "fa": FA, "ti": TI}


def main() -> None:
    with (HERE / "messages.pot").open("rb") as fh:
        template = read_po(fh)
    for language, table in CATALOGS.items():
        unknown = set(table) - {m.id for m in template if m.id}
        if unknown:
            raise SystemExit(f"{language}: not in messages.pot: {sorted(unknown)}")
        catalog = Catalog(locale=language, project="medborgarkontor kiosk", charset="utf-8")
        for message in template:
            if message.id:
                catalog.add(message.id, table.get(message.id, ""), locations=message.locations)
        target = HERE / language / "LC_MESSAGES" / "messages.po"
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("wb") as fh:
            write_po(fh, catalog, width=120, omit_header=False, sort_output=False)
        done = sum(1 for m in template if m.id and table.get(m.id))
        print(f"{language}: {done}/{sum(1 for m in template if m.id)} translated")


if __name__ == "__main__":
    main()
