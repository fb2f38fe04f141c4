/** Rich messages as a shop sends them, for the gateway's tests and the end-to-end ones alike. */
export const RICH_SAMPLES = {
  location: { latitude: -6.2, longitude: 106.816666, name: 'Monas', address: 'Gambir, Jakarta' },
  button: {
    text: 'Pesanan siap?',
    footer: 'Toko Maju',
    buttons: [
      { id: 'yes', text: 'Ya' },
      { id: 'no', text: 'Tidak' }
    ]
  },
  list: {
    text: 'Pilih jadwal',
    title: 'Jadwal',
    footer: 'Toko Maju',
    buttonText: 'Lihat',
    sections: [
      {
        title: 'Pagi',
        rows: [
          { id: 'am-9', title: '09:00', description: 'Cabang pusat' },
          { id: 'am-10', title: '10:00' }
        ]
      }
    ]
  }
}
