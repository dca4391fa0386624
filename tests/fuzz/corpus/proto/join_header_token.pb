
"kiosk-7