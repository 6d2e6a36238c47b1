// A stand-in for Dubbo hessian-lite's LocalDateTimeHandle; fields reversed from hessian-lite's declaration (date,
// time) so that Caucho writes them in hessian-lite's order (see LocalDateHandle.java). The fields hold the
// LocalDate and LocalTime themselves, which are written as their own handles.
package com.alibaba.com.caucho.hessian.io.java8;

import java.io.Serializable;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;

public class LocalDateTimeHandle implements Serializable {
    private LocalTime time;
    private LocalDate date;

    public LocalDateTimeHandle() {}

    public LocalDateTimeHandle(LocalDateTime dateTime) {
        date = dateTime.toLocalDate();
        time = dateTime.toLocalTime();
    }

    private Object readResolve() {
        try {
            return LocalDateTime.of(date, time);
        } catch (RuntimeException e) {
            return null;
        }
    }
}
