

tok"kiosk-7(ˆ'